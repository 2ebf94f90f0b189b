/**
 * Webhooks of requests made through the fal surface, as fal sends them: `{request_id,
 * gateway_request_id, status: "OK" | "ERROR", payload, error?}` (the payload being the result, or
 * the error body the result endpoint answers), signed with ED25519 over `request_id \n user_id \n
 * timestamp \n sha256-hex(body)` in the `X-Fal-Webhook-*` headers. Receivers verify it with the
 * key set at /fal/.well-known/jwks.json, exactly as fal's documentation says to verify fal's.
 */
import type { WebhookFormat } from '../../../webhooks/dispatcher.js';
import type { RenderContext } from '../shared/context.js';
import { errorAnswer, resultAnswer } from './bodies.js';
import type { FalWebhookKey } from './key.js';

export function falWebhookFormat(ctx: RenderContext, key: FalWebhookKey, input: unknown): WebhookFormat {
  return {
    async render({ delivery, record, sentAt }) {
      const ok = record.status === 'completed';
      const answer = ok ? await resultAnswer(record, input, ctx) : errorAnswer(record);
      const body = JSON.stringify({
        request_id: record.id,
        gateway_request_id: record.id,
        status: ok ? 'OK' : 'ERROR',
        payload: answer.body,
        ...(ok ? {} : { error: `Invalid status code: ${answer.status}` }),
      });
      return { body, headers: key.headers(delivery.requestId, record.accountId, sentAt, body) };
    },
  };
}
