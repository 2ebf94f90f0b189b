import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import type { ModelDefinition } from '../../../models/types.js';
import { FINAL_STATUSES, type RequestRecord } from '../../../requests/types.js';
import type { FileStorage } from '../../../storage/types.js';
import type { ApiDeps } from '../../context.js';
import { waitForFinal } from '../../follow.js';
import { principalOf } from '../../plugins/auth.js';
import { cancelRequest } from '../../routes/requests.js';
import type { LinkSigner } from './links.js';
import { clientGone } from './scope.js';

/** What the surfaces' bodies are made from, in the API and in the webhook dispatcher alike. */
export interface RenderContext {
  config: Pick<Config, 'publicUrl' | 'urlTtl'>;
  storage: FileStorage;
  links: LinkSigner;
}

/** What a surface's routes need. */
export interface SurfaceContext extends RenderContext {
  deps: ApiDeps;
  /** The model every surface runs: bytedance/dreamina-4-0/edit. */
  model: ModelDefinition;
  /** The longest a synchronous call (OpenAI's images.edit, fal.run) waits for its request. */
  syncTimeoutMs: number;
  keepAliveMs?: number | undefined;
}

/**
 * The caller's request with its stored input, or undefined when it does not exist or belongs to
 * another account: the providers answer 404 for both, so a surface never tells them apart.
 */
export async function ownRequest(
  ctx: SurfaceContext,
  request: FastifyRequest,
  id: string,
): Promise<{ record: RequestRecord; input: unknown } | undefined> {
  const record = await ctx.deps.store.get(id);
  if (!record || record.accountId !== principalOf(request).accountId) return undefined;
  return { record, input: await ctx.deps.store.inputOf(id) };
}

/**
 * Waits for the request of a synchronous call (OpenAI's images.edit, fal.run) until it ends, the
 * caller leaves, or --sync-timeout passes. In the last two cases a request that has not started is
 * cancelled, as fal.run does: nobody is left to take its result, and a caller who tries again
 * queues a new one.
 */
export async function waitForSyncCall(ctx: SurfaceContext, reply: FastifyReply, record: RequestRecord): Promise<{ record: RequestRecord; final: boolean; cancelled: boolean }> {
  const settled = (await waitForFinal(ctx.deps.store, record.id, ctx.syncTimeoutMs, clientGone(reply))) ?? record;
  if (FINAL_STATUSES.has(settled.status)) return { record: settled, final: true, cancelled: false };
  const outcome = await cancelRequest(ctx.deps, record.id);
  return { record: outcome.outcome === 'not_found' ? settled : outcome.record, final: false, cancelled: outcome.outcome === 'cancelled' };
}
