import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker as Thread } from 'node:worker_threads';
import type { Page, Worker } from 'tesseract.js';

/**
 * The tesseract.js workers, started once per process and kept warm: starting one costs about 0.3 s
 * (the wasm core and the language data), a poster's OCR about as much again, so a cold start would
 * double the time of every edit.
 *
 * The language data comes from the npm package `@tesseract.js-data/eng`, never from the network: without
 * `langPath` tesseract.js fetches from a CDN, and a failed fetch kills the process from inside the worker.
 * `4.0.0_best_int` is the integer-quantised "best" LSTM model: a third of the size of `4.0.0` and the
 * faster of the two with the LSTM-only engine, at the same accuracy on printed text.
 *
 * Page segmentation is "sparse text": posters scatter words over the picture, and the block-oriented
 * modes drop isolated words and give up on text a few degrees off horizontal.
 */

const require = createRequire(import.meta.url);

/**
 * The threads tesseract.js spawns, so that an idle pool can `unref()` them like the segmentation worker
 * does: a one-shot process (the CLI, a script) must not hang on warm OCR workers. tesseract.js does not
 * expose its threads, so its node spawner is wrapped before tesseract.js first loads it; if something
 * loaded tesseract.js earlier, the wrap has no effect and callers need `stopText()` to exit.
 */
const threads: Thread[] = [];

function tesseract(): typeof import('tesseract.js') {
  const node = require('tesseract.js/src/worker/node') as { spawnWorker: (o: unknown) => Thread; wrapped?: true };
  if (!node.wrapped) {
    const spawn = node.spawnWorker;
    node.spawnWorker = (options) => {
      const thread = spawn(options);
      threads.push(thread);
      return thread;
    };
    node.wrapped = true;
  }
  return require('tesseract.js') as typeof import('tesseract.js');
}

function languageDir(): string {
  const dir = path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
  if (!existsSync(path.join(dir, 'eng.traineddata.gz'))) {
    throw new Error(`The OCR language data is missing (${dir}); reinstall @tesseract.js-data/eng`);
  }
  return dir;
}

/** A fixed set of workers; jobs wait in arrival order for the next free one. */
export class OcrPool {
  private readonly idle: Worker[];
  private readonly waiting: Array<(w: Worker) => void> = [];

  private constructor(private readonly workers: Worker[]) {
    this.idle = [...workers];
  }

  static async start(size: number): Promise<OcrPool> {
    const langPath = languageDir();
    const { createWorker, OEM, PSM } = tesseract();
    const started = await Promise.allSettled(
      Array.from({ length: size }, async () => {
        const worker = await createWorker('eng', OEM.LSTM_ONLY, { langPath, cacheMethod: 'none', gzip: true });
        // debug_file silences tesseract's "Estimating resolution as …" chatter on stderr.
        await worker.setParameters({ tessedit_pageseg_mode: PSM.SPARSE_TEXT, debug_file: '/dev/null' });
        return worker;
      }),
    );
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await Promise.allSettled(workers.map((w) => w.terminate()));
      throw new Error(`Could not start the OCR workers: ${String(failure.reason)}`);
    }
    const pool = new OcrPool(workers);
    pool.settle();
    return pool;
  }

  /** Idle threads do not keep the process alive; busy ones do, until their result is back. */
  private settle(): void {
    const busy = this.idle.length < this.workers.length;
    for (const t of threads) {
      if (busy) t.ref();
      else t.unref();
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Recognises an encoded image (here always a PGM): words with their boxes, in lines and blocks.
   * `params` are tesseract variables for this call only (tesseract.js restores them afterwards).
   */
  async recognize(image: Buffer, params: Record<string, string> = {}): Promise<Page> {
    const worker = this.idle.pop() ?? (await new Promise<Worker>((resolve) => this.waiting.push(resolve)));
    this.settle();
    try {
      const result = await worker.recognize(image, params, { blocks: true, text: false });
      return result.data;
    } finally {
      const next = this.waiting.shift();
      if (next) next(worker);
      else this.idle.push(worker);
      this.settle();
    }
  }

  async terminate(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.terminate()));
    threads.length = 0;
  }
}

let shared: Promise<OcrPool> | undefined;

/** Two workers on two or more cores: one OCR is split in two bands, or two rotations run at once. */
export function ocrPool(): Promise<OcrPool> {
  if (!shared) {
    const size = Math.max(1, Math.min(2, availableParallelism()));
    shared = OcrPool.start(size);
    // A failed start is not cached: the next edit tries again.
    shared.catch(() => (shared = undefined));
  }
  return shared;
}

export async function stopOcrPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  if (pool) await (await pool.catch(() => undefined))?.terminate();
}
