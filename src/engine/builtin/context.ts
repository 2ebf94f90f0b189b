import type { AppliedEdit, EditRequest, EngineContext, OutputImage } from '../types.js';
import type { Box, Mask } from './ops/mask.js';
import type { Reading } from './ops/roles.js';
import type { Plan } from './prompt/types.js';
import type { Raster } from './raster.js';

/** One image being made. An image set has several, each a deterministic variant. */
export interface Canvas {
  image: Raster;
  /** The main subject's mask, aligned with `image`, when it is known. */
  subject?: Mask | undefined;
  /** Multiplies the strength of the tone edits in this variant (1 for the first). */
  strength: number;
  /** 0 for the first image of a set. */
  variant: number;
}

/**
 * What the steps of one run share. Each step reads what earlier steps left and adds its own part;
 * a step that has nothing to do for this request returns at once.
 */
export interface PipelineContext {
  readonly request: EditRequest;
  readonly engine: EngineContext;
  plan: Plan;
  /** scale / 0.5: every edit's intensity is multiplied by it. */
  factor: number;
  /** The decoded references, in request order. */
  sources: Raster[];
  /** The references being decoded (started before the prompt is read, so the two overlap). */
  decoding?: Promise<Raster[]>;
  /** Subject masks of the references that needed one, by index. */
  masks: Map<number, Mask>;
  /**
   * A quick look at references (a coarse mask): what each picture is (scene or subject), and where the
   * main object of the scene is, by index. Boxes are in the reference's own pixels.
   */
  glances: Map<number, { reading: Reading; box: Box | undefined }>;
  /**
   * A quick look still running when the segment step ends (the scene's, when only its main object's
   * box is wanted): the fuse step cuts the subjects out meanwhile, and awaits it for the layout.
   */
  looking?: Promise<void>;
  canvases: Canvas[];
  outputs: OutputImage[];
  edits: AppliedEdit[];
  warnings: string[];
}

/** The plan's edits of some kinds, in prompt order. */
export function editsOf<K extends Plan['edits'][number]['kind']>(c: PipelineContext, ...kinds: K[]): Extract<Plan['edits'][number], { kind: K }>[] {
  return c.plan.edits.filter((e): e is Extract<Plan['edits'][number], { kind: K }> => (kinds as string[]).includes(e.kind));
}

/** Records an edit as applied, with the parameters it was applied with. */
export function applied(c: PipelineContext, edit: Plan['edits'][number], params: Record<string, unknown> = edit.params as Record<string, unknown>): void {
  c.edits.push({ kind: edit.kind, params, ...(edit.span ? { span: edit.span } : {}), ...(edit.text ? { text: edit.text } : {}) });
}
