/**
 * Runs one claimed request: fetch and check its images, run the engine, store the outputs. Returns
 * what the request produced; throws what went wrong (a PublicError when it is the request's fault).
 */
import type { Logger } from 'pino';
import sharp from 'sharp';
import type { EngineRouter, Reservation } from '../engine/router.js';
import { thumbnailOf } from '../engine/thumbnail.js';
import type { OutputImage } from '../engine/types.js';
import type { InputPolicy, LocalSourceReader } from '../inputs/types.js';
import { loadImages } from '../inputs/load.js';
import type { ModelDefinition } from '../models/types.js';
import type { ClaimedRequest, EngineCheckpoint, OutputFile, RequestResult } from '../requests/types.js';
import type { FileStorage } from '../storage/types.js';

export interface ExecuteDeps {
  engines: EngineRouter;
  storage: FileStorage;
  inputPolicy: (model: ModelDefinition) => InputPolicy;
  localSource: LocalSourceReader;
}

/** Shares of the progress bar: fetching, then the engine, then storing. */
const FETCH_SHARE = 0.1;
const ENGINE_SHARE = 0.85;

export async function executeRequest(
  claimed: ClaimedRequest,
  model: ModelDefinition,
  deps: ExecuteDeps,
  run: {
    signal: AbortSignal;
    progress: (fraction: number) => void;
    log: Logger;
    /** The engine slot taken when the request was claimed. */
    reservation: Reservation | undefined;
    checkpoint: (value: EngineCheckpoint | null) => Promise<void>;
  },
): Promise<RequestResult> {
  const input = claimed.input as Record<string, unknown>;
  const images = await loadImages(model.imageUrls(input), deps.inputPolicy(model), {
    signal: run.signal,
    localSource: deps.localSource,
  });
  run.progress(FETCH_SHARE);

  const result = await deps.engines.run(claimed.modelId, { ...model.toEditRequest(input, images), id: claimed.id }, {
    signal: run.signal,
    progress: (f) => run.progress(FETCH_SHARE + ENGINE_SHARE * Math.min(1, Math.max(0, f))),
    log: run.log,
    checkpointed: claimed.engineState,
    checkpoint: run.checkpoint,
    reservation: run.reservation,
  });
  run.signal.throwIfAborted();

  // The thumbnail is made while the outputs are written: neither waits for the other.
  const [thumbnail, files] = await Promise.all([
    result.images[0] ? storeThumbnail(claimed.id, result.images[0], deps.storage) : undefined,
    storeOutputs(claimed.id, result.images, deps.storage),
  ]);
  return {
    files,
    thumbnail,
    edits: result.edits,
    warnings: result.warnings,
    engine: result.engine,
    ...(result.usage && { usage: result.usage }),
    ...(result.metadata && { metadata: result.metadata }),
  };
}

function storeOutputs(requestId: string, images: OutputImage[], storage: FileStorage): Promise<OutputFile[]> {
  return Promise.all(
    images.map(async (image, i) => {
      const key = `outputs/${requestId}/${i}.${image.format === 'png' ? 'png' : 'jpg'}`;
      await storage.put(key, image.data);
      return {
        key,
        contentType: image.format === 'png' ? 'image/png' : 'image/jpeg',
        width: image.width,
        height: image.height,
        bytes: image.data.length,
      };
    }),
  );
}

async function storeThumbnail(requestId: string, image: OutputImage, storage: FileStorage): Promise<string> {
  const key = `outputs/${requestId}/thumb.jpg`;
  await storage.put(key, image.thumbnail ?? (await thumbnailOf(sharp(image.data, { limitInputPixels: 6198 * 4096 }))));
  return key;
}
