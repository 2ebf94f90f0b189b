import type { Config } from '../config.js';
import type { EngineState } from '../engine/router.js';
import type { InputPolicy } from '../inputs/types.js';
import type { KeyStore } from '../keys/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ModelDefinition } from '../models/types.js';
import type { EngineCheckpoint, RequestStore } from '../requests/types.js';
import type { SecretSource } from '../secrets.js';
import type { FileStorage } from '../storage/types.js';

/** What the routes need, wired once by the composition root (runtime.ts). */
export interface ApiDeps {
  config: Config;
  store: RequestStore;
  keys: KeyStore;
  storage: FileStorage;
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
  /** The secrets the whole deployment shares (src/secrets.ts): signing keys of links and webhooks. */
  secret: SecretSource;
  /** For /readyz: are there workers taking requests? */
  workersAlive: () => Promise<boolean>;
  /** For /readyz: each engine's state, as this process or the live workers see it. */
  engineStates: () => Promise<Record<string, EngineState>>;
}
