/**
 * The other APIs retouch answers, so that apps written for them work with only their base URL and
 * key changed: Replicate's (/replicate/v1), fal's (/fal) and OpenAI's images.edit (/openai/v1). Each
 * is a thin translation onto the same requests: a surface validates its provider's input, turns it
 * into the model's input (shared/sizes.ts for sizes), queues it through `submitRequest` like the
 * native route, and answers from the stored request in its provider's shape. Nothing here has a
 * queue, storage or engine of its own.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import { dreaminaEdit } from '../../models/dreamina-4-0-edit.js';
import type { FileStorage } from '../../storage/types.js';
import type { WebhookFormat } from '../../webhooks/dispatcher.js';
import type { ApiDeps } from '../context.js';
import type { RenderContext, SurfaceContext } from './shared/context.js';
import { FAL_PREFIX, falSurface } from './fal/index.js';
import { FalWebhookKey } from './fal/key.js';
import { falWebhookFormat } from './fal/webhook.js';
import { OPENAI_PREFIX, openaiSurface } from './openai/index.js';
import { REPLICATE_PREFIX, replicateSurface } from './replicate/index.js';
import { replicateWebhookFormat } from './replicate/webhook.js';
import { LinkSigner } from './shared/links.js';
import type { SecretSource } from '../../secrets.js';
import { UrlSigner } from '../../storage/signer.js';
import { surfaceOf } from './shared/record.js';

export { FAL_PREFIX, OPENAI_PREFIX, REPLICATE_PREFIX };

/** The headers fal's client sends, which a browser must be allowed to send across origins. */
export const FAL_CLIENT_HEADERS = [
  'x-fal-target-url',
  'x-fal-queue-priority',
  'x-fal-runner-hint',
  'x-fal-request-timeout',
  'x-fal-object-lifecycle-preference',
  'x-fal-object-lifecycle',
];

export async function registerSurfaces(app: FastifyInstance, deps: ApiDeps, options: { keepAliveMs?: number | undefined } = {}): Promise<void> {
  const model = deps.models.get(dreaminaEdit.id);
  if (!model) return;
  const ctx: SurfaceContext = {
    deps,
    model,
    config: deps.config,
    storage: deps.storage,
    links: new LinkSigner(new UrlSigner(await deps.secret('url_signing'))),
    syncTimeoutMs: deps.config.syncTimeout,
    keepAliveMs: options.keepAliveMs,
  };
  await app.register(replicateSurface, { prefix: REPLICATE_PREFIX, ctx });
  await app.register(falSurface, { prefix: FAL_PREFIX, ctx, key: FalWebhookKey.fromSeed(await deps.secret('fal_webhook')) });
  await app.register(openaiSurface, { prefix: OPENAI_PREFIX, ctx });
}

/** For the webhook dispatcher: how a request made through a surface is announced. */
export async function surfaceWebhookFormats(config: Config, storage: FileStorage, secret: SecretSource): Promise<(input: unknown) => WebhookFormat | undefined> {
  const ctx: RenderContext = { config, storage, links: new LinkSigner(new UrlSigner(await secret('url_signing'))) };
  const falKey = FalWebhookKey.fromSeed(await secret('fal_webhook'));
  return (input) => {
    const surface = surfaceOf(input);
    if (surface?.name === 'replicate') return replicateWebhookFormat(ctx, input);
    if (surface?.name === 'fal') return falWebhookFormat(ctx, falKey, input);
    return undefined;
  };
}
