/**
 * What retouch tells Prometheus, in one registry per runtime (tests run several in one process).
 * Every label takes a bounded set of values: model ids of the catalogue, engine names of the
 * configuration, statuses, reasons, route templates and HTTP status codes; never an id, a key or a
 * URL. docs/operations.md documents each metric with example alerts.
 */
import client from 'prom-client';

/** Engine failures as the router classifies them. */
export type EngineFailureKind = 'unavailable' | 'timeout' | 'internal' | 'request' | 'lost';

/** Read at scrape time: what only the store or the router knows. */
export interface MetricSources {
  queue?: () => Promise<{ queued: number; running: number; oldestQueuedAt: number | null }>;
  engines?: () => Record<string, { ready: boolean; running: number }>;
}

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const HTTP_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60];

export class Metrics {
  readonly registry = new client.Registry();

  readonly submitted = new client.Counter({
    name: 'retouch_requests_submitted_total',
    help: 'Requests accepted, by model (idempotent replays and refusals not counted).',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly finished = new client.Counter({
    name: 'retouch_requests_finished_total',
    help: 'Requests that ended, by model, final status and the engine that ran them ("" when none did).',
    labelNames: ['model', 'status', 'engine'] as const,
    registers: [this.registry],
  });

  readonly queueWait = new client.Histogram({
    name: 'retouch_request_queue_wait_seconds',
    help: 'Time from submit to the first start of a request.',
    labelNames: ['model'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly runTime = new client.Histogram({
    name: 'retouch_request_run_seconds',
    help: 'Time a worker spent on one attempt of a request (inputs, engines, storage), by how it ended.',
    labelNames: ['model', 'engine', 'status'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly engineFailures = new client.Counter({
    name: 'retouch_engine_failures_total',
    help: 'Runs an engine did not complete, by engine and kind (unavailable, timeout, internal, request, lost).',
    labelNames: ['engine', 'kind'] as const,
    registers: [this.registry],
  });

  readonly fallbacks = new client.Counter({
    name: 'retouch_engine_fallbacks_total',
    help: 'Requests an engine could not run (failed or skipped) that went on to the next engine of the model, by that engine.',
    labelNames: ['engine'] as const,
    registers: [this.registry],
  });

  readonly webhooks = new client.Counter({
    name: 'retouch_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by outcome (delivered, retry, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly inputFailures = new client.Counter({
    name: 'retouch_input_failures_total',
    help: 'Requests failed because a reference image was refused or could not be fetched, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly refusals = new client.Counter({
    name: 'retouch_submit_refusals_total',
    help: 'Submits refused with 429, by limit (rpm, concurrent, daily_images, max_queue).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly http = new client.Histogram({
    name: 'retouch_http_request_duration_seconds',
    help: 'HTTP requests of the public API, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_SECONDS,
    registers: [this.registry],
  });

  constructor(sources: MetricSources = {}) {
    client.collectDefaultMetrics({ register: this.registry });
    const queue = sources.queue;
    if (queue) {
      // One store read per scrape, shared by the three gauges.
      let last: { at: number; value: ReturnType<typeof queue> } | undefined;
      const read = () => {
        if (!last || Date.now() - last.at > 250) last = { at: Date.now(), value: queue() };
        return last.value;
      };
      new client.Gauge({
        name: 'retouch_queue_depth',
        help: 'Requests waiting in the queue (all nodes: read from the store).',
        registers: [this.registry],
        async collect() {
          this.set((await read()).queued);
        },
      });
      new client.Gauge({
        name: 'retouch_requests_running',
        help: 'Requests in progress (all nodes: read from the store).',
        registers: [this.registry],
        async collect() {
          this.set((await read()).running);
        },
      });
      new client.Gauge({
        name: 'retouch_queue_oldest_age_seconds',
        help: 'How long the oldest queued request has waited; 0 when the queue is empty.',
        registers: [this.registry],
        async collect() {
          const { oldestQueuedAt } = await read();
          this.set(oldestQueuedAt === null ? 0 : Math.max(0, (Date.now() - oldestQueuedAt) / 1000));
        },
      });
    }
    const engines = sources.engines;
    if (engines) {
      new client.Gauge({
        name: 'retouch_engine_ready',
        help: "1 when this worker can use the engine (its own probes say it is ready), else 0.",
        labelNames: ['engine'] as const,
        registers: [this.registry],
        collect() {
          for (const [name, s] of Object.entries(engines())) this.set({ engine: name }, s.ready ? 1 : 0);
        },
      });
      new client.Gauge({
        name: 'retouch_engine_running',
        help: 'Runs in progress on the engine in this worker.',
        labelNames: ['engine'] as const,
        registers: [this.registry],
        collect() {
          for (const [name, s] of Object.entries(engines())) this.set({ engine: name }, s.running);
        },
      });
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
