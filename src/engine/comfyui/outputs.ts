/**
 * The images a finished prompt saved, brought back through /view and made what retouch promises:
 * exactly the requested size, JPEG (PNG with transparency), as many as the prompt asked for.
 */
import { conformImage } from '../conform.js';
import { EngineUnavailableError } from '../errors.js';
import type { OutputImage } from '../types.js';
import type { HistoryEntry } from './client.js';
import type { ComfyServer } from './server.js';

export async function collectOutputs(
  server: ComfyServer,
  entry: HistoryEntry,
  /** The output nodes whose images count, in order. */
  outputs: readonly string[],
  want: { width: number; height: number; count: number },
  signal: AbortSignal,
): Promise<{ images: OutputImage[]; warnings: string[] }> {
  const files = outputs.flatMap((id) => entry.outputs[id]?.images ?? []).filter((f) => f.type === 'output' || f.type === 'temp');
  if (files.length === 0) throw new EngineUnavailableError(`${server.label} ran the workflow, but it saved no image`);
  const chosen = files.slice(0, want.count);
  const conformed = await Promise.all(
    chosen.map(async (file) => conformImage(await server.client.view(file, signal), want.width, want.height, 'ComfyUI')),
  );
  const warnings = [...new Set(conformed.flatMap((c) => (c.warning ? [c.warning] : [])))];
  if (files.length < want.count) {
    warnings.push(`The prompt asks for ${want.count} images; the ComfyUI workflow made ${files.length}.`);
  }
  return { images: conformed.map((c) => c.image), warnings };
}
