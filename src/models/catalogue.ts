import { dreaminaEdit } from './dreamina-4-0-edit.js';
import type { ModelDefinition } from './types.js';

/** Every model this server runs, by id. A new model is one file and one line here. */
export const MODELS: ReadonlyMap<string, ModelDefinition<any>> = new Map([[dreaminaEdit.id, dreaminaEdit]]);

export function findModel(id: string): ModelDefinition<any> | undefined {
  return MODELS.get(id);
}
