/**
 * A finished request's outputs as a surface shows them: signed URLs (or data URIs), and no more than
 * the client asked for. The engine decides how many images a set has from the prompt; a surface
 * whose client capped the count (max_images) shows the first ones and says in its logs what it left
 * out; every output stays in retouch's library.
 */
import { outputUrlExpiry } from '../../../contract/bodies.js';
import type { OutputFile, RequestRecord } from '../../../requests/types.js';
import type { FileStorage } from '../../../storage/types.js';
import type { SurfacePart } from './record.js';

export interface SurfaceOutput extends OutputFile {
  url: string;
}

export interface Outputs {
  shown: SurfaceOutput[];
  /** Made by the engine but beyond the client's max_images. */
  left: number;
}

export function outputsOf(record: RequestRecord, surface: SurfacePart | undefined, storage: FileStorage, urlTtlMs: number): Outputs {
  if (record.status !== 'completed' || !record.result) return { shown: [], left: 0 };
  const expiresAt = outputUrlExpiry(record, urlTtlMs);
  const all = record.result.files;
  const max = surface?.maxImages ?? all.length;
  return {
    shown: all.slice(0, max).map((f) => ({ ...f, url: storage.signedUrl(f.key, expiresAt) })),
    left: Math.max(0, all.length - max),
  };
}

/** An output as a data URI, for clients that asked for the bytes in the answer (fal's sync_mode). */
export async function dataUriOf(file: OutputFile, storage: FileStorage): Promise<string> {
  return `data:${file.contentType};base64,${(await storage.read(file.key)).toString('base64')}`;
}
