import { Worker } from 'node:worker_threads';

/**
 * onnxruntime-node runs `session.run` synchronously on the calling JS thread (its promise only defers
 * the call with setImmediate), and creating a session is synchronous too. On the main thread one
 * segmentation would freeze the event loop for half a second: no lease renewals, no HTTP. So the
 * session lives in one worker thread, and this class is its mailbox.
 *
 * Calls run one at a time in the order they were made. onnxruntime itself allows concurrent Run() calls on one
 * session, but on a 2-core box two runs would only fight over the same intra-op threads and double the
 * activation memory; a FIFO gives the same throughput with half the peak memory, and lets a queued
 * call that is aborted leave the queue without ever reaching the model. A run cannot be interrupted
 * once onnxruntime has it: an abort rejects the caller at once, and the worker's result is discarded.
 *
 * One thread hosts several named sessions (the segmentation model, the text detector and recogniser):
 * `ModelWorker.shared()` is that thread for the whole process, so the networks never fight each other
 * for the cores, and each owner loads its session into it under its own name.
 *
 * The worker's code is a string evaluated as CommonJS: the same text works from the TypeScript
 * sources under vitest and from the compiled dist/, with no loader and no separate build step.
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('node:module').createRequire(workerData.resolveFrom)('onnxruntime-node');
const sessions = new Map();
async function handle(msg) {
  const started = performance.now();
  if (msg.type === 'load') {
    const session = await ort.InferenceSession.create(new Uint8Array(msg.model), msg.options);
    sessions.set(msg.session, session);
    return [{ ms: performance.now() - started, inputNames: session.inputNames, outputNames: session.outputNames }, []];
  }
  const session = sessions.get(msg.session);
  if (!session) throw new Error('no session ' + msg.session + ' is loaded');
  const result = await session.run({ [msg.inputName]: new ort.Tensor('float32', msg.input, msg.dims) }, [msg.outputName]);
  const output = result[msg.outputName];
  return [{ output: output.data, dims: output.dims, ms: performance.now() - started }, [output.data.buffer]];
}
parentPort.on('message', (msg) => {
  handle(msg).then(
    ([reply, transfer]) => parentPort.postMessage({ id: msg.id, ok: true, ...reply }, transfer),
    (error) => parentPort.postMessage({ id: msg.id, ok: false, message: String((error && error.message) || error) }),
  );
});
`;

/** The subset of onnxruntime's SessionOptions that crosses to the worker (plain data only). */
export interface SessionSettings {
  executionProviders: string[];
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpNumThreads: number;
  interOpNumThreads: number;
  executionMode: 'sequential' | 'parallel';
  enableCpuMemArena: boolean;
  enableMemPattern: boolean;
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  /**
   * Session config entries (onnxruntime_session_options_config_keys.h), nested by their dotted names:
   * `{ session: { intra_op: { allow_spinning: '0' } } }`.
   */
  extra?: Record<string, unknown>;
}

export interface RunResult {
  output: Float32Array;
  dims: number[];
  /** Time inside session.run, in the worker. */
  ms: number;
}

interface Reply {
  id: number;
  ok: boolean;
  message?: string;
  ms?: number;
  inputNames?: string[];
  outputNames?: string[];
  output?: Float32Array;
  dims?: number[];
}

interface Job {
  message: { type: 'run'; session: string; inputName: string; outputName: string; dims: number[] };
  /** The input, perhaps still being made: the job keeps its place in the queue meanwhile. */
  input: Promise<Float32Array>;
  signal: AbortSignal | undefined;
  resolve(result: RunResult): void;
  reject(error: unknown): void;
  onAbort?: () => void;
}

const DEFAULT_SESSION = 'default';
let sharedWorker: ModelWorker | undefined;

export class ModelWorker {
  #worker: Worker;
  #nextId = 1;
  /** Replies awaited, by message id (at most one run and, at start, the load). */
  #waiting = new Map<number, (reply: Reply) => void>();
  #queue: Job[] = [];
  #busy = false;
  #loading = 0;
  #failure: Error | undefined;

  private constructor() {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { resolveFrom: import.meta.url },
      // Workers inherit the process's flags; `--input-type=module` (node -e scripts) would make the
      // CommonJS source above an ES module, where `require` does not exist.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
    });
    this.#worker.on('message', (reply: Reply) => {
      const settle = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      settle?.(reply);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`The model worker exited (code ${code})`)));
  }

  /** Starts a worker of its own and creates the session `default` from the model bytes (transferred, not copied). */
  static async start(model: Uint8Array, options: SessionSettings): Promise<{ worker: ModelWorker; loadMs: number }> {
    const worker = new ModelWorker();
    try {
      const loadMs = await worker.load(DEFAULT_SESSION, model, options);
      return { worker, loadMs };
    } catch (error) {
      await worker.close();
      throw error;
    }
  }

  /** The process's model thread (a new one if the last one died); its owners load their sessions into it. */
  static shared(): ModelWorker {
    if (!sharedWorker || sharedWorker.failed) sharedWorker = new ModelWorker();
    return sharedWorker;
  }

  /** Creates (or replaces) the session `name` from the model bytes, which are transferred; resolves to the milliseconds it took. */
  async load(name: string, model: Uint8Array, options: SessionSettings): Promise<number> {
    const bytes =
      model.byteOffset === 0 && model.byteLength === model.buffer.byteLength && model.buffer instanceof ArrayBuffer
        ? model.buffer
        : model.slice().buffer;
    this.#loading++;
    this.#worker.ref();
    try {
      const reply = await this.#send({ type: 'load', session: name, model: bytes, options }, [bytes]);
      return reply.ms ?? 0;
    } finally {
      this.#loading--;
      if (!this.#busy && this.#loading === 0) this.#worker.unref(); // idle until the first run
    }
  }

  /** Whether the worker died (then every call fails; load a new one). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * Runs a session on one input; queued behind earlier calls (of any session), in the order of the
   * calls. The input may be a promise of it, still being made (scaled down, normalised): the call
   * holds its place meanwhile, so that a caller decides which of its passes runs first. The input's
   * buffer is transferred. `session` defaults to the one `start` loaded.
   */
  run(
    inputName: string,
    outputName: string,
    input: Float32Array | Promise<Float32Array>,
    dims: number[],
    signal?: AbortSignal,
    session = DEFAULT_SESSION,
  ): Promise<RunResult> {
    const made = Promise.resolve(input);
    return new Promise<RunResult>((resolve, reject) => {
      made.catch(() => {}); // reported through the job
      if (signal?.aborted) return reject(signal.reason);
      if (this.#failure) return reject(this.#failure);
      const job: Job = { message: { type: 'run', session, inputName, outputName, dims }, input: made, signal, resolve, reject };
      if (signal) {
        job.onAbort = () => {
          const queued = this.#queue.indexOf(job);
          if (queued >= 0) this.#queue.splice(queued, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#fail(new Error('The segmenter was closed'));
    await this.#worker.terminate();
  }

  #pump(): void {
    if (this.#busy || this.#failure) return;
    const job = this.#queue.shift();
    if (!job) {
      if (this.#loading === 0) this.#worker.unref(); // idle: do not keep the process alive
      return;
    }
    this.#busy = true;
    this.#worker.ref();
    const done = (): void => {
      if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
      this.#busy = false;
      this.#pump();
    };
    // A call aborted while its input was being made never reaches the model (its caller has gone).
    const send = (input: Float32Array): Promise<Reply> =>
      job.signal?.aborted ? Promise.reject(job.signal.reason) : this.#send({ ...job.message, input }, [input.buffer as ArrayBuffer]);
    job.input.then(send).then(
      (reply) => {
        done();
        job.resolve({ output: reply.output!, dims: reply.dims!, ms: reply.ms ?? 0 });
      },
      (error: unknown) => {
        done();
        job.reject(error);
      },
    );
  }

  #send(message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#waiting.set(id, (reply) => (reply.ok ? resolve(reply) : reject(new Error(`Model worker: ${reply.message}`))));
      this.#worker.postMessage({ ...message, id }, transfer);
    });
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const job of this.#queue.splice(0)) job.reject(error);
    for (const settle of this.#waiting.values()) settle({ id: 0, ok: false, message: error.message });
    this.#waiting.clear();
  }
}
