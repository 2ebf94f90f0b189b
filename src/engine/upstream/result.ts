/**
 * The end of every provider run: the outputs brought home at the exact size, the warnings in plain
 * words, the usage figures for the account, and the provider's job kept as operator metadata.
 */
import type { EditRequest, EngineContext, EngineResult, EngineUsage } from '../types.js';
import { deliverOutputs, type OutputFetchDeps, type UpstreamOutput } from './outputs.js';

export interface RunSummary {
  provider: string;
  model: string;
  outputs: readonly UpstreamOutput[];
  /** What the engine could not honour, found before the run (scale, a size made larger). */
  warnings: string[];
  /**
   * Why the provider was asked for another size than the request's; replaces the per-image note
   * of the resize, which would say the same thing for each image.
   */
  sizeNote?: string | undefined;
  /** The provider's own figures (tokens, cost, seconds), beside the images counted here. */
  usage?: EngineUsage | undefined;
  /** The provider's job id, when it has one. */
  job?: string | undefined;
  /** Where the download progress starts (what the provider's work already showed). */
  progressFrom: number;
}

export async function finishRun(summary: RunSummary, request: EditRequest, ctx: EngineContext, deps: OutputFetchDeps): Promise<EngineResult> {
  const total = summary.outputs.length;
  const from = summary.progressFrom;
  const delivered = await deliverOutputs(summary.outputs, request, summary.provider, deps, ctx.signal, (done) =>
    ctx.progress(from + ((1 - from) * done) / total),
  );
  return assemble(summary, delivered, request);
}

export function assemble(
  summary: Omit<RunSummary, 'outputs' | 'progressFrom'>,
  delivered: readonly { image: EngineResult['images'][number]; warning?: string; source?: string }[],
  request: EditRequest,
): EngineResult {
  const warnings = [...summary.warnings];
  let images = delivered.map((d) => d.image);
  if (request.forceSingle && images.length > 1) {
    warnings.push(`${summary.provider} made ${images.length} images although force_single was set; the first is kept.`);
    images = images.slice(0, 1);
  }
  if (summary.sizeNote) warnings.push(summary.sizeNote);
  else for (const note of new Set(delivered.map((d) => d.warning).filter((w): w is string => !!w))) warnings.push(note);
  return {
    images,
    edits: [],
    warnings,
    usage: { provider: summary.provider.toLowerCase(), model: summary.model, images: delivered.length, ...summary.usage },
    metadata: {
      provider: summary.provider,
      model: summary.model,
      ...(summary.job && { job: summary.job }),
      outputs: delivered.map((d) => d.source).filter(Boolean),
    },
  };
}

/** The warning for a `scale` that the provider has no knob for; none at the nominal 0.5. */
export function scaleWarning(provider: string, scale: number): string[] {
  if (scale === 0.5) return [];
  return [
    `${provider} has no equivalent of scale, so scale ${scale} was not applied: the prompt and the references were weighed as the model does by default (as at scale 0.5).`,
  ];
}
