/**
 * Webhooks of predictions made through the Replicate surface, as Replicate sends them: the body is
 * the prediction, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) with the account's secret, which `GET /webhooks/default/secret` hands out
 * and the client's `validateWebhook` checks. `webhook_events_filter`: `start` is sent when work
 * starts; retouch produces outputs and logs all at once at the end, so `output` and `logs` are met
 * by the final delivery (and `logs` by the start one too).
 */
import { FINAL_STATUSES } from '../../../requests/types.js';
import { standardWebhookHeaders, type WebhookFormat } from '../../../webhooks/dispatcher.js';
import type { RenderContext } from '../shared/context.js';
import { surfaceOf } from '../shared/record.js';
import { asOf, prediction } from './prediction.js';

export function replicateWebhookFormat(ctx: RenderContext, input: unknown): WebhookFormat {
  const events = surfaceOf(input)?.webhookEvents;
  const wants = (status: string) =>
    !events || (FINAL_STATUSES.has(status as never) ? events.some((e) => e !== 'start') : events.includes('start') || events.includes('logs'));
  return {
    render({ delivery, record, secret, sentAt }) {
      if (!wants(delivery.status)) return { skipped: `webhook_events_filter ${JSON.stringify(events)} leaves this event out` };
      const body = JSON.stringify(prediction(asOf(record, delivery.status), input, ctx));
      return { body, headers: standardWebhookHeaders(delivery.id, sentAt, body, secret) };
    },
  };
}
