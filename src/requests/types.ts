/**
 * The request state machine and the store that keeps it. Every transition is one atomic store
 * operation, guarded by the state it starts from (and, for a running request, by the lease owner),
 * so that two actors racing for the same request can never both win.
 *
 *   in_queue ──claim──▶ in_progress ──complete──▶ completed
 *      │  ▲                 │  │
 *      │  └─release/expire──┘  └──fail──▶ failed   (also: lease expired too often)
 *      └──cancel──▶ cancelled
 */
export type RequestStatus = 'in_queue' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

export const FINAL_STATUSES: ReadonlySet<RequestStatus> = new Set(['completed', 'failed', 'cancelled']);

/** A file the engine produced, by its storage key. */
export interface OutputFile {
  key: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

/** What a completed request produced, beside its files: what the engine did and did not do. */
export interface RequestResult {
  files: OutputFile[];
  /** A small JPEG of the first output, for lists. */
  thumbnail?: string;
  edits: unknown[];
  warnings: string[];
  /** The name of the engine that produced the files. */
  engine?: string;
  /** Figures the engine's upstream reported (tokens, cost), for usage. */
  usage?: Record<string, number | string>;
  /** For the operator only (an upstream job id, output links): never in a response body. */
  metadata?: Record<string, unknown>;
}

/** Why a request failed; `message` is safe to show to its owner. */
export interface RequestError {
  code: string;
  message: string;
}

export interface RequestRecord {
  id: string;
  accountId: string;
  modelId: string;
  status: RequestStatus;
  /** 0..1 while in progress. */
  progress: number;
  /** Times a worker has started it. */
  attempts: number;
  /** Requests ahead of this one; only while in_queue. */
  queuePosition: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** When retention deletes it (ms since epoch). */
  expiresAt: number;
  result: RequestResult | null;
  error: RequestError | null;
}

export interface NewRequest {
  id: string;
  accountId: string;
  modelId: string;
  input: unknown;
  createdAt: number;
  expiresAt: number;
  /** Where to announce the final status (and `events`, e.g. in_progress, when asked). */
  webhook?: { url: string; events: RequestStatus[] } | undefined;
  /** The same key from the same account within IDEMPOTENCY_WINDOW_MS returns the first request. */
  idempotencyKey?: string | undefined;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

export interface Enqueued {
  record: RequestRecord;
  /** False when an idempotency key matched an earlier request, which is returned instead. */
  created: boolean;
}

/** A status a request entered; ids grow across all requests, so "after id N" is a resume point. */
export interface RequestEvent {
  id: number;
  status: RequestStatus;
  at: number;
}

/** A webhook message waiting to be delivered (or retried). Its id is the `webhook-id`. */
export interface WebhookDelivery {
  id: string;
  requestId: string;
  accountId: string;
  url: string;
  /** The status it announces. */
  status: RequestStatus;
  /** Including the one about to be made. */
  attempts: number;
  createdAt: number;
}

export type DeliveryOutcome =
  | { state: 'delivered'; at: number }
  | { state: 'retry'; at: number; error: string }
  | { state: 'failed'; error: string };

export interface DeliveryRecord extends WebhookDelivery {
  state: 'pending' | 'delivered' | 'failed';
  lastError: string | null;
  deliveredAt: number | null;
}

/** What an engine kept with a request before waiting on something outside retouch (an upstream job). */
export interface EngineCheckpoint {
  engine: string;
  state: unknown;
}

/** A request a worker holds; the lease owner is the only one allowed to move it on. */
export interface ClaimedRequest extends RequestRecord {
  input: unknown;
  leaseOwner: string;
  /** Left by an earlier attempt whose worker died, so that this one follows the same upstream job. */
  engineState: EngineCheckpoint | null;
}

export type CancelOutcome =
  | {
      outcome: 'cancelled';
      record: RequestRecord;
      /** What an earlier attempt's engine left (an upstream job), to be cancelled there too. */
      engineState: EngineCheckpoint | null;
    }
  /** It was cancelled before: answer as the first time did. */
  | { outcome: 'already_cancelled'; record: RequestRecord }
  /** Running or finished: refused, and it stays as it was. */
  | { outcome: 'not_cancellable'; record: RequestRecord }
  | { outcome: 'not_found' };

export interface ExpiredLeases {
  /** Back in the queue for another attempt. */
  requeued: string[];
  /** Out of attempts: now failed. */
  failed: string[];
}

export interface WorkerHeartbeat {
  id: string;
  /** Free-form: pid, host, concurrency. */
  info: Record<string, unknown>;
}

/** A request as a list shows it: the record plus what the prompt and inputs were. */
export interface RequestSummary extends RequestRecord {
  prompt: string | null;
  imageCount: number;
}

export interface RequestPage {
  items: RequestSummary[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: string | null;
}

/** One account's usage on one UTC day, from the usage ledger (requests count on the day they ended). */
export interface UsageDay {
  /** YYYY-MM-DD, UTC. */
  day: string;
  /** Requests that ended that day, whatever their end. */
  requests: number;
  completed: number;
  failed: number;
  cancelled: number;
  images: number;
  outputMegapixels: number;
  computeSeconds: number;
  /** Completed requests per engine. */
  engines: Record<string, number>;
  /** The engines' upstream figures (tokens, cost), summed per name. */
  upstream: Record<string, number>;
}

/**
 * One ended request in the usage ledger. Written in the same transaction as the request's final
 * status, and kept after retention deletes the request (for `--usage-retention`, a year by default).
 */
/** Where a page of the ledger ends: the last entry's end and id (the order's key, so a cursor stays valid when that entry is deleted). */
export interface UsageCursor {
  finishedAt: number;
  requestId: string;
}

export interface UsageEntry {
  requestId: string;
  accountId: string;
  modelId: string;
  status: 'completed' | 'failed' | 'cancelled';
  createdAt: number;
  finishedAt: number;
  images: number;
  megapixels: number;
  computeSeconds: number;
  engine: string | null;
  upstream: Record<string, number | string> | null;
}

/**
 * An account's limits; a field that is absent is not limited. `rpm`: submits per minute;
 * `concurrent`: requests queued or running at once; `dailyImages`: output images per UTC day.
 */
export interface AccountLimits {
  rpm?: number | undefined;
  concurrent?: number | undefined;
  dailyImages?: number | undefined;
}

/**
 * What an operator set for one account, over the configuration's defaults: a number is the limit,
 * `null` lifts it for this account, and an absent field leaves the default in force.
 */
export type AccountLimitOverrides = { [K in keyof AccountLimits]?: number | null };

export interface EnqueueLimits {
  /** Queued requests of all accounts before submits are refused. */
  maxQueue: number;
  /** Defaults of every account (the configuration's `limits`), which the store's overrides refine. */
  account?: AccountLimits | undefined;
}

/**
 * News of changes made anywhere (another process, another node), for stores that can tell: hints
 * to read again now rather than at the next poll, never the data itself.
 */
export interface ChangeFeed {
  /**
   * True when changes made by every process are announced (PostgreSQL); false when only this
   * process's own are (SQLite), so that followers must still poll for the others.
   */
  readonly everywhere: boolean;
  /** Something entered the queue: idle workers should claim. Returns a function that unsubscribes. */
  onQueued(listener: () => void): () => void;
  /** Request `id` may have changed (its status or its progress). */
  onChange(id: string, listener: () => void): () => void;
}

/**
 * The store and queue. SQLite (requests/sqlite/) is the embedded default, PostgreSQL
 * (requests/postgres/) the one for several machines; both pass test/requests/store.suite.ts.
 */
export interface RequestStore {
  /** Absent when the store cannot tell at all (PostgreSQL without its listening connection). */
  readonly changes?: ChangeFeed | undefined;
  /**
   * Adds a request at the back of the queue, or returns the earlier one with the same idempotency
   * key (free: no limit applies to a replay). Throws LimitExceededError when the account is over one
   * of its limits and QueueFullError when `maxQueue` are waiting; the checks and the insert are one
   * transaction, so limits hold across processes sharing the store.
   */
  enqueue(request: NewRequest, limits: EnqueueLimits): Promise<Enqueued>;
  /** The statuses the request entered after event `afterId` (0 for all), oldest first. */
  eventsSince(id: string, afterId: number): Promise<RequestEvent[]>;
  /** The request with its queue position; undefined when unknown or deleted. */
  get(id: string): Promise<RequestRecord | undefined>;
  /** The record get would answer, when this store holds it in memory and it is current; else undefined. */
  peek?(id: string): RequestRecord | undefined;
  cancel(id: string, now: number): Promise<CancelOutcome>;
  /** The model input as submitted, for the owner to see or run again. */
  inputOf(id: string): Promise<unknown | undefined>;
  /** An account's requests, newest first. */
  listByAccount(accountId: string, options: { limit: number; before?: string | undefined }): Promise<RequestPage>;
  /** Deletes a finished request with its history; false when it is unknown or not finished. */
  deleteFinished(id: string): Promise<boolean>;
  /** Usage per UTC day since `since`, for one account, from the ledger (which outlives retention). */
  usageByDay(accountId: string, since: number): Promise<UsageDay[]>;
  /** Ledger entries that ended in [since, until), oldest first; `after` is where the previous page ended. */
  usageEntries(filter: { since: number; until?: number | undefined; accountId?: string | undefined; after?: UsageCursor | undefined; limit: number }): Promise<UsageEntry[]>;
  /** Drops ledger entries that ended before `cutoff`; returns how many. */
  deleteUsageBefore(cutoff: number): Promise<number>;
  /** The operator's overrides of one account's limits. */
  limitOverrides(accountId: string): Promise<AccountLimitOverrides>;
  /** Replaces the account's overrides (an empty object puts it back on the defaults). */
  setLimitOverrides(accountId: string, overrides: AccountLimitOverrides): Promise<void>;

  /** Takes the oldest queued request and leases it to `owner` until now + leaseMs. */
  claim(owner: string, leaseMs: number, now: number): Promise<ClaimedRequest | undefined>;
  /** Extends the lease; false when the lease was lost (expired and taken back, or cancelled). */
  renewLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean>;
  setProgress(id: string, owner: string, progress: number): Promise<boolean>;
  /** Keeps an engine's checkpoint with a running request; false when the lease was lost. */
  saveEngineState(id: string, owner: string, checkpoint: EngineCheckpoint | null): Promise<boolean>;
  complete(id: string, owner: string, result: RequestResult, now: number): Promise<boolean>;
  fail(id: string, owner: string, error: RequestError, now: number): Promise<boolean>;
  /** Gives a request back to the queue without counting the attempt (graceful shutdown). */
  release(id: string, owner: string): Promise<boolean>;
  /** Requests whose worker stopped renewing go back to the queue, or fail after `maxAttempts`. */
  recoverExpiredLeases(now: number, maxAttempts: number): Promise<ExpiredLeases>;

  /** Deletes requests past their retention; returns their ids so that their files can go too. */
  deleteExpired(now: number, limit: number): Promise<string[]>;
  countByStatus(): Promise<Record<RequestStatus, number>>;
  /** When the request at the head of the queue was submitted; null when the queue is empty. */
  oldestQueuedAt(): Promise<number | null>;

  /**
   * Takes up to `limit` deliveries that are due, counting the attempt and holding them for
   * `leaseMs` (so that another dispatcher does not send them meanwhile).
   */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDelivery[]>;
  settleDelivery(id: string, outcome: DeliveryOutcome): Promise<void>;
  deliveriesOf(requestId: string): Promise<DeliveryRecord[]>;

  heartbeat(worker: WorkerHeartbeat, now: number): Promise<void>;
  removeWorker(id: string): Promise<void>;
  /** Workers that sent a heartbeat since `since`. */
  liveWorkers(since: number): Promise<WorkerHeartbeat[]>;
  /** Cheap round trip proving the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
