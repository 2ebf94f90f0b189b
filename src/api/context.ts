import type { Config } from '../config.js';
import type { EngineState } from '../engine/router.js';
import type { InputPolicy } from '../inputs/types.js';
import type { KeyStore } from '../keys/store.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ModelDefinition } from '../models/types.js';
import type { EngineCheckpoint, RequestStore } from '../requests/types.js';
import type { LocalStorage } from '../storage/local/storage.js';

/** What the routes need, wired once by the composition root (runtime.ts). */
export interface ApiDeps {
  config: Config;
  store: RequestStore;
  keys: KeyStore;
  storage: LocalStorage;
  models: ReadonlyMap<string, ModelDefinition<any>>;
  /**
   * Called when a queued request that an earlier attempt had sent upstream is cancelled, with that
   * attempt's checkpoint: the job is cancelled upstream too.
   */
  onCancelledUpstream?: (requestId: string, checkpoint: EngineCheckpoint) => void;
  /** Called after a request is queued, so that an in-process worker picks it up at once. */
  onEnqueued?: () => void;
  metrics?: Metrics | undefined;
  /** The rules an uploaded image must pass (those of image URLs). */
  uploadPolicy: InputPolicy;
  /** For /readyz: are there workers taking requests? */
  workersAlive: () => Promise<boolean>;
  /** For /readyz: each engine's state, as this process or the live workers see it. */
  engineStates: () => Promise<Record<string, EngineState>>;
}
