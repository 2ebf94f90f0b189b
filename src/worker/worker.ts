/**
 * The worker loop: claims queued requests up to its concurrency, keeps each one's lease alive while
 * the engine runs, and records the outcome. A worker that dies simply stops renewing; the
 * maintenance loop of any live process puts its requests back in the queue.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { DatabaseUnavailableError } from '../db/errors.js';
import { LostRunError } from '../engine/errors.js';
import type { Reservation } from '../engine/router.js';
import { PublicError } from '../errors.js';
import { ImageInputError } from '../inputs/errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ModelDefinition } from '../models/types.js';
import type { ClaimedRequest, EngineCheckpoint, RequestStore } from '../requests/types.js';
import { executeRequest, type ExecuteDeps } from './execute.js';

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  /** How often to look for work when nobody wakes us (requests submitted by another process). */
  pollMs?: number;
  heartbeatMs?: number;
}

export interface WorkerDeps extends ExecuteDeps {
  store: RequestStore;
  models: ReadonlyMap<string, ModelDefinition<any>>;
  log: Logger;
  /** An engine lost a run: its lease was let go, and the maintenance loop should requeue it now. */
  onLostRun?: () => void;
  metrics?: Metrics | undefined;
}

interface Job {
  controller: AbortController;
  done: Promise<void>;
}

/** Why a job was aborted; decides who moves the request on. */
class LeaseLost extends Error {}
class ShuttingDown extends Error {}

export const HEARTBEAT_MS = 5_000;
const PROGRESS_WRITE_MS = 250;

export class Worker {
  readonly id = `wrk_${os.hostname().slice(0, 24)}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  private readonly jobs = new Map<string, Job>();
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private pumping = false;
  private wakeAgain = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;
  /** Set while the store fails: the outage is logged once, not on every poll. */
  private storeDownSince: number | undefined;

  constructor(private readonly deps: WorkerDeps, private readonly options: WorkerOptions) {
    this.log = deps.log.child({ worker: this.id });
  }

  private storeFailed(err: unknown, what: string): void {
    if (this.storeDownSince === undefined) {
      this.storeDownSince = Date.now();
      this.log.error({ err }, `${what} failed`);
    }
  }

  private storeAnswered(): void {
    if (this.storeDownSince === undefined) return;
    this.log.info({ down_ms: Date.now() - this.storeDownSince }, 'the store answers again');
    this.storeDownSince = undefined;
  }

  get running(): number {
    return this.jobs.size;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const heartbeat = () =>
      this.deps.store
        .heartbeat(
          {
            id: this.id,
            // The engines' states travel with the heartbeat, so that any API node's /readyz can report them.
            info: { pid: process.pid, host: os.hostname(), concurrency: this.options.concurrency, running: this.jobs.size, engines: this.deps.engines.states() },
          },
          Date.now(),
        )
        .then(() => this.storeAnswered(), (err) => this.storeFailed(err, 'heartbeat'));
    void heartbeat();
    this.timers.push(setInterval(heartbeat, this.options.heartbeatMs ?? HEARTBEAT_MS));
    this.timers.push(setInterval(() => this.wake(), this.options.pollMs ?? 500));
    this.log.info({ concurrency: this.options.concurrency }, 'worker started');
    this.wake();
  }

  /** Looks for work now (called after an in-process submit, and after each job). */
  wake(): void {
    if (this.pumping) {
      this.wakeAgain = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.wakeAgain = false;
        // Never claim what cannot start: a busy engine leaves the request in the queue for others.
        while (this.state === 'running' && this.jobs.size < this.options.concurrency && this.deps.engines.hasCapacity(this.deps.models.keys())) {
          const claimed = await this.deps.store.claim(this.id, this.options.leaseMs, Date.now());
          this.storeAnswered();
          if (!claimed) break;
          this.begin(claimed, this.deps.engines.reserve(claimed.modelId));
        }
      } while (this.wakeAgain && this.state === 'running');
    } catch (err) {
      this.storeFailed(err, 'claiming');
    } finally {
      this.pumping = false;
    }
  }

  private begin(claimed: ClaimedRequest, reservation: Reservation | undefined): void {
    const { store } = this.deps;
    const controller = new AbortController();
    const log = this.log.child({ request_id: claimed.id, attempt: claimed.attempts });
    const renew = setInterval(() => {
      store.renewLease(claimed.id, this.id, this.options.leaseMs, Date.now()).then(
        (held) => held || controller.abort(new LeaseLost('lease lost')),
        // Keep running: the next renewal may get through, and if the lease expires meanwhile the
        // guarded complete refuses this worker's result.
        (err) => log.warn({ err: (err as Error).message }, 'lease renewal failed'),
      );
    }, Math.max(50, Math.floor(this.options.leaseMs / 3)));

    let lastWrite = 0;
    const progress = (fraction: number) => {
      const now = Date.now();
      if (now - lastWrite < PROGRESS_WRITE_MS) return;
      lastWrite = now;
      store.setProgress(claimed.id, this.id, fraction).catch((err) => log.warn({ err }, 'progress write failed'));
    };

    const metrics = this.deps.metrics;
    if (claimed.attempts === 1 && claimed.startedAt !== null) {
      metrics?.queueWait.observe({ model: claimed.modelId }, Math.max(0, claimed.startedAt - claimed.createdAt) / 1000);
    }
    const done = (async () => {
      const started = performance.now();
      const ran = (status: 'completed' | 'failed', engine = '') => {
        metrics?.finished.inc({ model: claimed.modelId, status, engine });
        metrics?.runTime.observe({ model: claimed.modelId, status, engine }, (performance.now() - started) / 1000);
      };
      log.info({ model: claimed.modelId }, 'request started');
      try {
        const model = this.deps.models.get(claimed.modelId);
        if (!model) throw new PublicError(500, 500001, `This server no longer runs the model ${claimed.modelId}.`);
        // A checkpoint must be kept before the engine waits on what it started: a database outage is
        // waited out, and a lost lease stops the run (whoever holds the request now follows the job).
        const checkpoint = async (value: EngineCheckpoint | null) => {
          if (await this.persist('keeping the engine\'s checkpoint', log, () => store.saveEngineState(claimed.id, this.id, value))) return;
          const lost = new LeaseLost('lease lost');
          controller.abort(lost);
          throw lost;
        };
        const result = await executeRequest(claimed, model, this.deps, { signal: controller.signal, progress, log, reservation, checkpoint });
        const completed = await this.persist('recording the result', log, () => store.complete(claimed.id, this.id, result, Date.now()));
        if (completed) {
          ran('completed', result.engine);
          log.info({ ms: Math.round(performance.now() - started), outputs: result.files.length, engine: result.engine }, 'request completed');
        } else log.warn('request finished after its lease was lost; another attempt owns it');
      } catch (err) {
        const failed = await this.recordFailure(claimed, controller.signal, err, log).catch((e) => {
          log.error({ err: e }, 'the failure could not be recorded');
          return false;
        });
        if (failed) ran('failed');
      } finally {
        reservation?.release();
        clearInterval(renew);
        this.jobs.delete(claimed.id);
        this.wake();
      }
    })();
    this.jobs.set(claimed.id, { controller, done });
  }

  /** Records why the run failed; true when the request is now failed. */
  private async recordFailure(claimed: ClaimedRequest, signal: AbortSignal, err: unknown, log: Logger): Promise<boolean> {
    if (signal.aborted) {
      // Whoever aborted moves the request on: a lost lease belongs to someone else now, and a
      // shutdown has already put it back in the queue.
      log.warn({ reason: (signal.reason as Error)?.message }, 'request abandoned');
      return false;
    }
    const now = Date.now();
    if (err instanceof LostRunError) {
      // The attempt ends as if this worker had died: its lease lapses now, and the usual rules
      // (another attempt, or failure after --max-attempts) apply.
      log.warn({ reason: err.message }, 'the engine lost the run; the request goes back to the queue');
      await this.deps.store.renewLease(claimed.id, this.id, 0, now);
      this.deps.onLostRun?.();
      return false;
    }
    if (err instanceof PublicError) {
      const code = (err as PublicError & { reason?: string }).reason ?? 'invalid_request';
      log.info({ code }, err.message);
      if (err instanceof ImageInputError) this.deps.metrics?.inputFailures.inc({ reason: err.reason });
      return this.persist('recording the failure', log, () => this.deps.store.fail(claimed.id, this.id, { code, message: err.message }, now));
    }
    log.error({ err }, 'request failed with an internal error');
    const error = { code: 'internal_error', message: `The request could not be processed because of an internal error (request ${claimed.id}).` };
    return this.persist('recording the failure', log, () => this.deps.store.fail(claimed.id, this.id, error, now));
  }

  /**
   * Retries a write of a run's outcome while the database is unreachable: the work is done, and an
   * outage must not throw it away. The guard on the lease still decides: if the lease expired
   * meanwhile and another worker took the request, the write answers false and changes nothing.
   */
  private async persist<T>(what: string, log: Logger, write: () => Promise<T>): Promise<T> {
    for (let wait = 250; ; wait = Math.min(5_000, wait * 2)) {
      try {
        return await write();
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError) || this.state === 'stopped') throw err;
        log.warn({ retry_ms: wait }, `${what}: the database is unreachable; retrying`);
        await delay(wait);
      }
    }
  }

  /**
   * Stops taking work, lets running requests finish for up to `graceMs`, then puts the unfinished
   * ones back in the queue without counting the attempt.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    for (const t of this.timers) clearInterval(t);
    const all = () => Promise.allSettled([...this.jobs.values()].map((j) => j.done));
    if (this.jobs.size) {
      this.log.info({ running: this.jobs.size, grace_ms: graceMs }, 'waiting for running requests');
      const finished = await Promise.race([all().then(() => true), delay(graceMs).then(() => false)]);
      if (!finished) {
        for (const [id, job] of this.jobs) {
          job.controller.abort(new ShuttingDown('shutting down'));
          try {
            const released = await this.deps.store.release(id, this.id);
            this.log.warn({ request_id: id, released }, 'request returned to the queue');
          } catch (err) {
            // Its lease runs out instead, and any node puts it back in the queue then.
            this.log.warn({ request_id: id, err: (err as Error).message }, 'request could not be returned to the queue');
          }
        }
        // The engine notices the abort between steps; don't wait on a step that can't be interrupted.
        await Promise.race([all(), delay(5_000)]);
      }
    }
    await this.deps.store.removeWorker(this.id).catch(() => undefined);
    this.state = 'stopped';
    this.log.info('worker stopped');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
