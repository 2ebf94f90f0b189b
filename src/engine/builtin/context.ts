import type { AppliedEdit, EditRequest, EngineContext, OutputImage } from '../types.js';
import type { Raster } from './raster.js';

/**
 * What the steps of one run share. Each step reads what earlier steps left and adds its own part;
 * a step that has nothing to do for this request returns at once.
 */
export interface PipelineContext {
  readonly request: EditRequest;
  readonly engine: EngineContext;
  /** The decoded references, in request order. */
  sources: Raster[];
  /** The images being made: one per output, each carried through adjust, fit and encode. */
  canvases: Raster[];
  outputs: OutputImage[];
  edits: AppliedEdit[];
  warnings: string[];
}
