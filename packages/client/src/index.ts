/**
 * @retouch/client: a client for retouch and the hosted bytedance/dreamina-4-0/edit model API.
 *
 *   import { RetouchClient } from '@retouch/client';
 *   const client = new RetouchClient({ apiKey: process.env.RETOUCH_API_KEY });
 *   const { url } = await client.upload('photo.jpg');
 *   const result = await client.run('bytedance/dreamina-4-0/edit', { image_urls: [url], prompt: 'make it warmer' });
 *   console.log(result.output.images);
 */
export {
  RetouchClient,
  DEFAULT_BASE_URL,
  HOSTED_BASE_URL,
  type ClientOptions,
  type CompletedResult,
  type ModelId,
  type ModelInput,
  type ProgressEvent,
  type QueueUpdate,
  type StatusEvent,
  type StreamEvent,
  type StreamOptions,
  type SubmitOptions,
  type SubscribeOptions,
  type UploadOptions,
} from './client.js';
export {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  RequestCancelledError,
  RequestFailedError,
  RetouchError,
  ServerError,
  ValidationError,
  WebhookVerificationError,
  errorFromResponse,
  type RetouchErrorFields,
} from './errors.js';
export { type UploadSource } from './files.js';
export { SseParser, type SseMessage } from './sse.js';
export { verifyWebhook, type VerifyOptions, type WebhookEvent, type WebhookHeaders } from './webhooks.js';
export * from './generated/types.js';
