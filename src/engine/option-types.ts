/**
 * Option schemas shared by the registry and the engine definitions. Kept apart from registry.ts,
 * which imports every definition: a definition importing the registry back would read these
 * before they exist.
 */
import { Type } from 'typebox';
import { DURATION_PATTERN } from '../units.js';

export const Duration = Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })], {
  description: 'a duration such as 30s, 10m or 2h, or a number of seconds',
});
