/**
 * Every provider engine has a deadline unless the file sets one: without it, a job stuck in the
 * provider's queue was polled forever, holding its slot (the review of the provider engines).
 */
import { describe, expect, it } from 'vitest';
import { timeoutOf } from '../../../src/engine/setup.js';
import { UPSTREAM_TIMEOUT_MS } from '../../../src/engine/upstream/options.js';

describe('provider engine timeout', () => {
  it('defaults to 10 minutes for each provider type; the file\'s timeout wins, 0 turns it off', () => {
    expect(UPSTREAM_TIMEOUT_MS).toBe(600_000);
    for (const type of ['jimeng', 'ark', 'runcomfy', 'fal', 'replicate']) {
      expect(timeoutOf({ type, timeoutMs: undefined })).toBe(600_000);
      expect(timeoutOf({ type, timeoutMs: 90_000 })).toBe(90_000);
      expect(timeoutOf({ type, timeoutMs: 0 })).toBe(0);
    }
    // Engines on the operator's own machines keep no default: their runs can be as long as they are.
    expect(timeoutOf({ type: 'builtin', timeoutMs: undefined })).toBeUndefined();
    expect(timeoutOf({ type: 'comfyui', timeoutMs: undefined })).toBeUndefined();
  });
});
