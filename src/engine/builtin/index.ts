/**
 * The built-in engine: edits on the CPU with libvips (sharp), as an ordered list of small steps over
 * one context, in the manner of imgproxy's processing pipeline. The order is written once, here.
 */
import type { Engine, EngineContext, EngineResult, EditRequest } from '../types.js';
import type { PipelineContext } from './context.js';
import { runPipeline, type Pipeline } from './pipeline.js';
import { encode } from './steps/encode.js';
import { fit } from './steps/fit.js';
import { load } from './steps/load.js';

export const BUILTIN_PIPELINE: Pipeline = [load, fit, encode];

export class BuiltinEngine implements Engine {
  readonly name = 'builtin';

  constructor(private readonly pipeline: Pipeline = BUILTIN_PIPELINE) {}

  async run(request: EditRequest, engine: EngineContext): Promise<EngineResult> {
    const c: PipelineContext = { request, engine, sources: [], canvases: [], outputs: [], edits: [], warnings: [] };
    await runPipeline(this.pipeline, c);
    return { images: c.outputs, edits: c.edits, warnings: c.warnings };
  }
}
