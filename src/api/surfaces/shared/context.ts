import type { FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import type { ModelDefinition } from '../../../models/types.js';
import type { RequestRecord } from '../../../requests/types.js';
import type { FileStorage } from '../../../storage/types.js';
import type { ApiDeps } from '../../context.js';
import { principalOf } from '../../plugins/auth.js';
import type { LinkSigner } from './links.js';

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
