import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { guidedUpsample, type GuidedFilterOptions } from './guided-filter.js';
import { readModel, type ModelVariant } from './model-file.js';
import { ModelWorker, type SessionSettings } from './model-worker.js';
import { resizeSquareInput } from './onnx-graph.js';

/**
 * Subject segmentation: ISNet (salient-object segmentation, MIT) on the CPU, then a guided filter that
 * carries the mask to full resolution along the photo's own edges.
 *
 * Model and input size: the uint8-quantised ISNet ("small") at 512², measured with
 * scripts/bench-segment.mjs on the 2-vCPU box (onnxruntime-node 1.30, 2 intra-op threads, shared with
 * other work, so the fastest of 18 runs; medians were up to 1.5x that). IoU: refined masks of three
 * 2048x1536 scenes of known truth, built as in test/segment/scenes.ts. RSS: the whole process, with
 * those scenes in memory.
 *
 *   variant@input   one pass   load     IoU (3 scenes)          RSS after load  peak
 *   small@384       0.22 s     0.46 s   0.9951 0.9992 0.9996    296 MB          505 MB
 *   small@512       0.40 s     0.34 s   0.9962 0.9989 0.9998    290 MB          672 MB
 *   small@640       0.63 s     0.35 s   0.9956 0.9990 0.9998    283 MB          774 MB
 *   small@768       0.91 s     0.36 s   0.9946 0.9991 0.9998    331 MB          889 MB
 *   small@1024      1.79 s     0.33 s   0.9987 0.9991 0.9998    277 MB          1271 MB
 *   medium@512      0.41 s     0.98 s   0.9962 0.9988 0.9997    741 MB          1092 MB
 *   medium@1024     1.67 s     0.91 s   0.9991 0.9991 0.9998    745 MB          1822 MB
 *
 * 1024² (the export's size) costs 4.5x the time and twice the memory for at most +0.0025 IoU, and on
 * busy textures it was the less robust size (at 1024² a tiled brick wall got picked up as "salient").
 * The fp16 "medium" is no faster on this CPU, loads 3x slower and holds 450 MB more, for masks that
 * matched the quantised model's within 0.001 IoU here. 384² halves the pass again, but did slightly
 * worse on the thin-legged horse of test/segment (0.9912 against 0.9938); it is one option away (`inputSize`) if
 * ten-reference requests need the time.
 *
 * The guided filter (guided-filter.ts) costs ~100 ms for a 2048² mask and ~160 ms for 4096² (one core),
 * a quarter to a third of a pass. Its radius (4 cells of the 512² grid), eps (1e-3) and output levels
 * (0.06..0.94) were chosen on edge error against the scenes' truth and by eye on hair and fur.
 */

/** An alpha mask: 1 channel, 0..255 (255 = subject), row-major. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Where the time went, in milliseconds (for logs and the bench). */
export interface SegmentTimings {
  /** Downscaling to the model's input and normalising. */
  prepare: number;
  /** Waiting behind other calls for the model. */
  queued: number;
  /** The model run itself. */
  model: number;
  /** The guided filter to the output size (and resizing the guide, when the size differs). */
  refine: number;
}

export interface SegmentedMask extends Mask {
  timings: SegmentTimings;
}

/** Raw 8-bit sRGB pixels, as sharp's `.raw()` gives them (alpha, if any, is ignored). */
export interface SegmentImage {
  data: Buffer | Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

export interface SegmentOptions {
  /** Checked before the model run (also while queued) and after it; a run in progress cannot be stopped. */
  signal?: AbortSignal;
  /** Size of the returned mask; defaults to the image's. */
  width?: number;
  height?: number;
  /**
   * false: the model's own mask on its grid, brought to the size asked for, without the guided filter.
   * For a quick look (a box, a share of the frame), where the filter's edges would be thrown away: it
   * costs a fit on the model's grid as large as a refined mask's (~60 ms of a fusion on this box).
   */
  refine?: boolean;
}

export interface SegmenterOptions {
  /** 'small' (uint8-quantised, default) or 'medium' (fp16); both are ISNet. */
  variant?: ModelVariant;
  /** Side of the square model input: a multiple of 32 (the coarsest upsampling step) from 256 to 1024. Default 512. */
  inputSize?: number;
  /** Intra-op threads; default: the machine's cores. */
  threads?: number;
  /** Guided-filter settings on the model's grid. */
  refine?: GuidedFilterOptions;
}

const INPUT_NAME = 'input';
const OUTPUT_NAME = 'output';
const EXPORTED_SIZE = 1024;
const DEFAULT_VARIANT: ModelVariant = 'small';
const DEFAULT_INPUT_SIZE = 512;
const DEFAULT_REFINE: GuidedFilterOptions = { radius: 4, eps: 1e-3, levels: [0.06, 0.94] };

interface SharedEntry {
  promise: Promise<Segmenter>;
  settled?: Segmenter;
}
/** The shared segmenters by input size: the default, and the coarse one for a quick look. */
const sharedBySize = new Map<number, SharedEntry>();

/**
 * The last load asked for: loads run one after another. Until its session exists, a load holds the
 * model's 44 MB two or three times over (the chunks, the model, its resized copy in the worker), and
 * a fusion beside an edit of a scene's subject asks for all three sizes at once.
 */
let lastLoad: Promise<unknown> = Promise.resolve();

/**
 * The model's input size for a subject that is cut out and placed into a scene. The table above: at 384²
 * a pass takes about half the time of one at 512², with IoU within 0.001 on the scenes and 0.0026 on
 * the thin-legged horse; a placed subject is then scaled, colour-matched and feathered, and its edge
 * is refined by the guided filter at the cut-out's resolution either way. Masks that edits of the scene
 * itself depend on (a removed or blurred background) keep 512².
 */
export const SUBJECT_INPUT_SIZE = 384;

/**
 * The quick look (which picture is the scene, where a scene's main object is) needs a box and a share of
 * the frame, not an edge: a session of its own at 256². A fusion's look at the scene runs after the
 * subject's pass, and at 384² it outlasted the subject's refinement and cut-out, so the fuse step waited
 * for it. The coffee scene's look (medians of 7, load average 13-14): 384² 836 ms wall, 415 ms CPU;
 * 256² 238 ms, 195 ms. The eval's fusion cases (roles, boxes, overlap) score exactly as at 384². The
 * cost: a third session, about 140 MB resident and 0.8 s to create on first use; the bench's peak
 * (two 6198x2656 requests, all three sessions) measured 1323-1409 MB against 1324-1367 MB before.
 */
export const COARSE_INPUT_SIZE = 256;

export class Segmenter {
  private constructor(
    private readonly worker: ModelWorker,
    /** The worker's session holding this model; on the shared worker, other models sit beside it. */
    private readonly session: string,
    /** Whether `worker` is this segmenter's own (closed with it) or the process's shared model thread. */
    private readonly ownsWorker: boolean,
    readonly variant: ModelVariant,
    readonly inputSize: number,
    private readonly refine: GuidedFilterOptions,
    /** Milliseconds to read, verify and rewrite the model, and to create the session. */
    readonly loadMs: { read: number; session: number },
  ) {}

  /**
   * The process-wide segmenter with the default settings: loaded on first use and kept; concurrent
   * callers share one load. A failed load, or a worker that died, is retried on the next call.
   */
  static shared(inputSize = DEFAULT_INPUT_SIZE): Promise<Segmenter> {
    let shared = sharedBySize.get(inputSize);
    if (shared?.settled?.worker.failed) shared = undefined;
    if (!shared) {
      const entry: SharedEntry = {
        promise: Segmenter.load({ worker: ModelWorker.shared(), inputSize }).then(
          (segmenter) => (entry.settled = segmenter),
          (error: unknown) => {
            if (sharedBySize.get(inputSize) === entry) sharedBySize.delete(inputSize);
            throw error;
          },
        ),
      };
      shared = entry;
      sharedBySize.set(inputSize, entry);
    }
    return shared.promise;
  }

  /** The shared segmenter for a quick look (COARSE_INPUT_SIZE), in the same model thread. */
  static coarse(): Promise<Segmenter> {
    return Segmenter.shared(COARSE_INPUT_SIZE);
  }

  /** The shared segmenter for subjects to place (SUBJECT_INPUT_SIZE), in the same model thread. */
  static forSubjects(): Promise<Segmenter> {
    return Segmenter.shared(SUBJECT_INPUT_SIZE);
  }

  /**
   * A new, unshared segmenter (for other settings, or to compare them) in a thread of its own, or in
   * `worker` when given. Close it when done.
   */
  static load(options: SegmenterOptions & { worker?: ModelWorker } = {}): Promise<Segmenter> {
    const load = lastLoad.then(() => Segmenter.loadNow(options));
    lastLoad = load.catch(() => {});
    return load;
  }

  private static async loadNow(options: SegmenterOptions & { worker?: ModelWorker }): Promise<Segmenter> {
    const variant = options.variant ?? DEFAULT_VARIANT;
    const inputSize = options.inputSize ?? DEFAULT_INPUT_SIZE;
    if (!Number.isInteger(inputSize) || inputSize < 256 || inputSize > EXPORTED_SIZE || inputSize % 32 !== 0) {
      throw new RangeError(`inputSize must be a multiple of 32 from 256 to ${EXPORTED_SIZE}, not ${inputSize}`);
    }
    const threads = options.threads ?? availableParallelism();
    const started = performance.now();
    const original = await readModel(variant);
    const model =
      inputSize === EXPORTED_SIZE
        ? original
        : resizeSquareInput(original, { exportedSize: EXPORTED_SIZE, size: inputSize, inputName: INPUT_NAME, outputName: OUTPUT_NAME });
    const read = performance.now() - started;
    const settings: SessionSettings = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // The arena makes repeated runs fast; memory patterns (pre-planned activation blocks) raised
      // peak RSS from ~350 MB to ~510 MB at 512² for no measurable speed.
      enableCpuMemArena: true,
      enableMemPattern: false,
      logSeverityLevel: 3,
      // Between the graph's operators, onnxruntime's intra-op threads spin instead of sleeping. On this
      // box that CPU is taken from whatever else runs meanwhile (libvips, the guided filter of the last
      // mask, other processes): a 384² pass took 580 ms of CPU spinning and 430 ms not, in 1070 and
      // 870 ms (medians of 7, load average 9-11), with identical output.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    const refine = options.refine ?? DEFAULT_REFINE;
    if (options.worker) {
      const session = `isnet-${variant}-${inputSize}`;
      const loadMs = await options.worker.load(session, model, settings);
      return new Segmenter(options.worker, session, false, variant, inputSize, refine, { read, session: loadMs });
    }
    const { worker, loadMs } = await ModelWorker.start(model, settings);
    return new Segmenter(worker, 'default', true, variant, inputSize, refine, { read, session: loadMs });
  }

  /** The subject's alpha mask at the image's size (or the size asked for). */
  async segment(image: SegmentImage, options: SegmentOptions = {}): Promise<SegmentedMask> {
    const { signal } = options;
    signal?.throwIfAborted();
    const { width, height, channels } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`Bad image size ${width}x${height}`);
    if (channels !== 3 && channels !== 4) throw new RangeError(`Images need 3 or 4 channels, not ${String(channels)}`);
    if (image.data.length !== width * height * channels) {
      throw new RangeError(`Image data has ${image.data.length} bytes, ${width}x${height}x${channels} needs ${width * height * channels}`);
    }
    const outWidth = options.width ?? width;
    const outHeight = options.height ?? height;
    if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) {
      throw new RangeError(`Bad mask size ${outWidth}x${outHeight}`);
    }

    const started = performance.now();
    const size = this.inputSize;
    const raw = { raw: { width, height, channels } } as const;
    // The model sees the whole image squashed to its square input (as ISNet was trained); the same
    // small RGB is the guided filter's low-resolution guide. The model call is made at once, with the
    // input still being made, so that passes run in the order segment() was called.
    let prepared = started;
    const made = sharp(image.data, raw)
      .removeAlpha()
      .resize(size, size, { fit: 'fill' })
      .raw()
      .toBuffer()
      .then((small) => {
        if (small.length !== size * size * 3) throw new Error(`Expected RGB from sharp, got ${small.length / (size * size)} channels`);
        prepared = performance.now();
        return { small, input: normalise(small, size) };
      });
    const run = this.worker.run(INPUT_NAME, OUTPUT_NAME, made.then((m) => m.input), [1, 3, size, size], signal, this.session);
    const [{ small }, { output, ms: model }] = await Promise.all([made, run]);
    signal?.throwIfAborted();
    const ran = performance.now();

    if (options.refine === false) {
      const data = await this.unrefined(output, outWidth, outHeight);
      const timings = { prepare: prepared - started, queued: Math.max(0, ran - prepared - model), model, refine: performance.now() - ran };
      return { width: outWidth, height: outHeight, data, timings };
    }
    const guide =
      outWidth === width && outHeight === height
        ? { data: image.data, width, height, channels }
        : {
            data: await sharp(image.data, raw).removeAlpha().resize(outWidth, outHeight, { fit: 'fill' }).raw().toBuffer(),
            width: outWidth,
            height: outHeight,
            channels: 3 as const,
          };
    const data = guidedUpsample({ rgb: small, mask: output, width: size, height: size }, guide, this.refine);
    const timings = { prepare: prepared - started, queued: Math.max(0, ran - prepared - model), model, refine: performance.now() - ran };
    return { width: outWidth, height: outHeight, data, timings };
  }

  /** The model's mask through the same output levels as a refined one, resized (bilinear) to the size asked for. */
  private async unrefined(output: Float32Array, width: number, height: number): Promise<Uint8Array> {
    const size = this.inputSize;
    const [lo, hi] = this.refine.levels ?? [0, 1];
    const gain = 255 / (hi - lo);
    const grid = new Uint8Array(size * size);
    for (let i = 0; i < grid.length; i++) {
      const q = (output[i]! - lo) * gain;
      grid[i] = q <= 0 ? 0 : q >= 255 ? 255 : q + 0.5;
    }
    if (width === size && height === size) return grid;
    const resized = await sharp(grid, { raw: { width: size, height: size, channels: 1 } })
      .resize(width, height, { fit: 'fill', kernel: 'linear' })
      .toColourspace('b-w')
      .raw()
      .toBuffer();
    return new Uint8Array(resized.buffer, resized.byteOffset, resized.byteLength);
  }

  /**
   * Stops its own worker (pending and later calls fail). The shared segmenter lives in the shared model
   * thread beside other models: closing it only forgets it, and the next shared() loads anew.
   */
  async close(): Promise<void> {
    for (const [size, entry] of sharedBySize) if (entry.settled === this) sharedBySize.delete(size);
    if (this.ownsWorker) await this.worker.close();
  }
}

/**
 * HWC bytes to the CHW float tensor ISNet expects: (v − 128) / 256, i.e. mean 0.5 and std 1.0 on 0..1,
 * the normalisation of ISNet's training code and of imgly's published inference code.
 */
function normalise(rgb: Uint8Array, size: number): Float32Array {
  const n = size * size;
  const out = new Float32Array(3 * n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = (rgb[j]! - 128) / 256;
    out[n + i] = (rgb[j + 1]! - 128) / 256;
    out[2 * n + i] = (rgb[j + 2]! - 128) / 256;
  }
  return out;
}

export { guidedUpsample, fitCoefficients, applyCoefficients, boxMean } from './guided-filter.js';
export type { GuidedFilterOptions } from './guided-filter.js';
export type { ModelVariant } from './model-file.js';
