/**
 * The composition root: builds every part from the configuration and wires them together. The
 * commands (serve, api, worker) and the tests start the same runtime with different roles.
 */
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import sharp from 'sharp';
import { buildApp } from './api/app.js';
import type { Config } from './config.js';
import type { SqliteDatabase } from './db/sqlite.js';
import { openStores, type Stores } from './stores.js';
import { mergeEngineStates, type EngineRouter, type EngineState } from './engine/router.js';
import { createEngines } from './engine/setup.js';
import type { Engine } from './engine/types.js';
import { forbiddenRange } from './inputs/address.js';
import { systemLookup, type DialHooks } from './inputs/dial.js';
import { defaultInputPolicy, validateInputPolicy } from './inputs/policy.js';
import type { InputPolicy, LocalSourceReader } from './inputs/types.js';
import type { KeyStore } from './keys/types.js';
import { Metrics } from './metrics/metrics.js';
import { startMetricsServer } from './metrics/server.js';
import { MODELS } from './models/catalogue.js';
import { dreaminaEdit } from './models/dreamina-4-0-edit.js';
import type { ModelDefinition } from './models/types.js';
import type { EngineCheckpoint, RequestStore } from './requests/types.js';
import { LocalStorage } from './storage/local/storage.js';
import { S3Storage } from './storage/s3/storage.js';
import { SignedUrls } from './storage/signed-urls.js';
import type { FileStorage } from './storage/types.js';
import { surfaceWebhookFormats } from './api/surfaces/index.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { Maintenance } from './worker/maintenance.js';
import { HEARTBEAT_MS, Worker } from './worker/worker.js';

export interface Roles {
  api: boolean;
  worker: boolean;
}

export interface Runtime {
  config: Config;
  log: Logger;
  /** The embedded database; absent with --database-url. */
  db?: SqliteDatabase | undefined;
  store: RequestStore;
  keys: KeyStore;
  storage: FileStorage;
  app?: FastifyInstance;
  worker?: Worker;
  maintenance?: Maintenance;
  webhooks?: WebhookDispatcher;
  engines?: EngineRouter;
  metrics: Metrics;
  /** Listening when --metrics-port is set. */
  metricsServer?: http.Server;
  /** Stops taking work, lets running requests finish within the grace period, closes the store. */
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  /** Tests swap in an engine that waits or fails on cue, in place of builtin. */
  engine?: Engine;
  /** Tests put engines of their own in place of configured ones, by name. */
  engines?: Record<string, Engine>;
  /** Tests pin where outgoing connections may go. */
  dialHooks?: DialHooks;
  streamKeepAliveMs?: number;
}

export function inputPolicyFor(config: Config): (model: ModelDefinition) => InputPolicy {
  const base = defaultInputPolicy();
  const policyOf = (model: ModelDefinition): InputPolicy => ({
    ...base,
    ...model.imageRules,
    allowPrivateUrls: config.allowPrivateUrls,
    allowedHosts: config.allowedHosts ?? null,
    connectTimeoutMs: config.fetchConnectTimeout,
    firstByteTimeoutMs: config.fetchFirstByteTimeout,
    totalTimeoutMs: config.fetchTimeout,
  });
  // A bad combination of settings stops the start, not the first request.
  for (const model of MODELS.values()) validateInputPolicy(policyOf(model));
  return policyOf;
}

export async function createRuntime(config: Config, roles: Roles, log: Logger, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const stores = await openStores(config, { log, role: [roles.api && 'api', roles.worker && 'worker'].filter(Boolean).join('+'), listen: true });
  const { db, store, keys } = stores;
  let storage: FileStorage;
  try {
    storage = await openStorage(config, stores);
  } catch (err) {
    await stores.close();
    throw err;
  }
  const metrics = new Metrics({
    queue: async () => {
      const [counts, oldestQueuedAt] = await Promise.all([store.countByStatus(), store.oldestQueuedAt()]);
      return { queued: counts.in_queue, running: counts.in_progress, oldestQueuedAt };
    },
    engines: () => runtime.engines?.states() ?? {},
  });
  const runtime: Runtime = { config, log, db, store, keys, storage, metrics, close: async () => undefined };
  const engineDeps = () => ({
    log,
    baseDir: config.configFile ? path.dirname(config.configFile) : process.cwd(),
    env: process.env,
    allowPrivateUrls: config.allowPrivateUrls,
    dialHooks: overrides.dialHooks,
    storage,
  });
  // A node without the worker role builds the engines only when a cancel must reach a provider,
  // keeps them for the next cancel, and closes them with the rest.
  let cancelRouter: Promise<EngineRouter> | undefined;
  const cancelUpstream = (requestId: string, checkpoint: EngineCheckpoint) => {
    if (runtime.engines) cancelRouter = Promise.resolve(runtime.engines);
    cancelRouter ??= createEngines(config, engineDeps(), overrides.engines).catch((err) => {
      // Built again at the next cancel: the failure may have been passing.
      cancelRouter = undefined;
      throw err;
    });
    void cancelRouter
      .then((router) => router.cancelUpstream(checkpoint, log.child({ request_id: requestId })))
      .catch((err) => log.warn({ err, request_id: requestId }, 'could not cancel the upstream job of a cancelled request'));
  };

  if (roles.worker) {
    // libvips defaults to one thread on glibc; an engine run should use the cores it is given.
    sharp.concurrency(os.availableParallelism());
    const localSource: LocalSourceReader = (url) => {
      const key = storage.keyOfSignedUrl(url, Date.now());
      return key ? storage.read(key) : undefined;
    };
    const engines = await createEngines(config, engineDeps(), { ...(overrides.engine && { builtin: overrides.engine }), ...overrides.engines }, {
      failed: (engine, kind) => metrics.engineFailures.inc({ engine, kind }),
      passedOn: (engine) => metrics.fallbacks.inc({ engine }),
    });
    runtime.engines = engines;
    await engines.warmUp();
    runtime.worker = new Worker(
      {
        store,
        models: MODELS,
        log,
        engines,
        storage,
        inputPolicy: inputPolicyFor(config),
        localSource,
        metrics,
        onLostRun: () => void runtime.maintenance?.recoverLeases(Date.now() + 1).catch((err) => log.error({ err }, 'maintenance failed')),
      },
      // Woken at once by the database's notifications, the worker only polls as a backstop.
      { concurrency: config.concurrency, leaseMs: config.lease, ...(store.changes?.everywhere ? { pollMs: 2_000 } : {}) },
    );
    store.changes?.onQueued(() => runtime.worker?.wake());
    runtime.webhooks = new WebhookDispatcher(
      {
        store,
        keys,
        storage,
        log,
        metrics,
        // Webhooks obey the address rule of image URLs, but not the image host allow-list.
        policy: { ...defaultInputPolicy(), allowPrivateUrls: config.allowPrivateUrls, allowedHosts: null },
        hooks: overrides.dialHooks ?? { lookup: systemLookup, addressRule: forbiddenRange },
        // Requests made through Replicate's or fal's surface are announced as those providers do.
        formatFor: await surfaceWebhookFormats(config, storage, stores.secret),
      },
      {
        retryForMs: config.webhookRetryFor,
        firstDelayMs: config.webhookRetryDelay,
        maxDelayMs: 3_600_000,
        timeoutMs: config.webhookTimeout,
        concurrency: 8,
        pollMs: Math.min(1_000, config.webhookRetryDelay),
        urlTtlMs: config.urlTtl,
      },
    );
    runtime.maintenance = new Maintenance(
      { store, storage, log, metrics, onRequeued: () => runtime.worker?.wake() },
      { maxAttempts: config.maxAttempts, uploadTtlMs: config.uploadTtl, usageRetentionMs: config.usageRetention, leaseCheckMs: Math.max(250, Math.min(5_000, Math.floor(config.lease / 2))) },
    );
  }

  if (roles.api) {
    runtime.app = await buildApp(
      {
        config,
        store,
        keys,
        storage,
        models: MODELS,
        uploadPolicy: inputPolicyFor(config)(dreaminaEdit),
        metrics,
        secret: stores.secret,
        onEnqueued: () => runtime.worker?.wake(),
        onCancelledUpstream: cancelUpstream,
        workersAlive: async () => (await store.liveWorkers(Date.now() - 3 * HEARTBEAT_MS)).length > 0,
        engineStates: async () =>
          runtime.engines?.states() ??
          mergeEngineStates((await store.liveWorkers(Date.now() - 3 * HEARTBEAT_MS)).map((w) => w.info.engines as Record<string, EngineState> | undefined)),
      },
      { logger: log, streamKeepAliveMs: overrides.streamKeepAliveMs },
    );
  }

  if (config.metricsPort !== undefined) runtime.metricsServer = await startMetricsServer(metrics, config.host, config.metricsPort, log);

  runtime.close = async () => {
    await runtime.app?.close();
    await new Promise((resolve) => (runtime.metricsServer ? runtime.metricsServer.close(resolve) : resolve(undefined)));
    runtime.maintenance?.stop();
    await Promise.all([runtime.worker?.stop(config.shutdownGrace), runtime.webhooks?.stop()]);
    await runtime.engines?.close();
    const forCancels = await cancelRouter?.catch(() => undefined);
    if (forCancels && forCancels !== runtime.engines) await forCancels.close();
    await store.close();
    await stores.close();
  };
  return runtime;
}

/** The data dir, or a bucket; URLs signed with the secret every node of the deployment shares. */
async function openStorage(config: Config, stores: Stores): Promise<FileStorage> {
  const urls = new SignedUrls(await stores.signer(), () => config.publicUrl);
  return config.storage.kind === 's3' ? new S3Storage(config.storage, urls) : new LocalStorage(config.dataDir, urls);
}

/** Starts the worker and maintenance loops of a runtime built with the worker role. */
export function startBackground(runtime: Runtime): void {
  runtime.maintenance?.start();
  runtime.webhooks?.start();
  runtime.worker?.start();
}
