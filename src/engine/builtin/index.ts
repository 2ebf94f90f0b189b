/**
 * The built-in engine: edits on the CPU with libvips (sharp) and a salient-object model, as an
 * ordered list of small steps over one context, in the manner of imgproxy's processing pipeline.
 * The order is written once, here:
 *
 *   plan → load → segment → background → fuse → geometry → fit → text → tone → encode
 *
 * Subject work (segment, background, fuse) and geometry happen at the references' resolution; text
 * and tone happen on the final frame, so that new text is crisp and a vignette frames the output.
 */
import type { Engine, EngineContext, EngineResult, EditRequest } from '../types.js';
import type { PipelineContext } from './context.js';
import { runPipeline, type Pipeline } from './pipeline.js';
import { interpretPrompt } from './prompt/index.js';
import { background } from './steps/background.js';
import { encode } from './steps/encode.js';
import { fit } from './steps/fit.js';
import { fuse } from './steps/fuse.js';
import { geometry } from './steps/geometry.js';
import { load } from './steps/load.js';
import { plan } from './steps/plan.js';
import { segment } from './steps/segment.js';
import { text } from './steps/text.js';
import { tone } from './steps/tone.js';
import { stopText } from './text/index.js';

export const BUILTIN_PIPELINE: Pipeline = [plan, load, segment, background, fuse, geometry, fit, text, tone, encode];

export class BuiltinEngine implements Engine {
  readonly name = 'builtin';

  constructor(private readonly pipeline: Pipeline = BUILTIN_PIPELINE) {}

  /**
   * Compiles the interpreter's patterns before the first request pays for them. The segmentation
   * model loads on first use instead (0.3 s, 280 MB): many requests never need it.
   */
  async warmUp(): Promise<void> {
    interpretPrompt('make it brighter', { imageCount: 1, forceSingle: true });
  }

  /** Stops the OCR workers; the segmentation worker thread does not hold the process open. */
  async close(): Promise<void> {
    await stopText();
  }

  async run(request: EditRequest, engine: EngineContext): Promise<EngineResult> {
    const c: PipelineContext = {
      request,
      engine,
      plan: { edits: [], count: 1, scene: 0, unused: [] },
      factor: request.scale / 0.5,
      sources: [],
      masks: new Map(),
      glances: new Map(),
      canvases: [],
      outputs: [],
      edits: [],
      warnings: [],
    };
    await runPipeline(this.pipeline, c);
    return { images: c.outputs, edits: c.edits, warnings: c.warnings };
  }
}
