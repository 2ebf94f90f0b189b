/**
 * Compile-time checks of the SDK's types, with the root compiler options: test/client/package.test.ts
 * compiles this file and expects no diagnostics (an `@ts-expect-error` that expects none is one).
 */
import { RetouchClient, type CompletedResult, type ModelId, type ResultResponse, type SubmitResponse } from '@retouch/client';

const client = new RetouchClient({ baseUrl: 'http://127.0.0.1:8000', apiKey: 'rt_…' });
const MODEL = 'bytedance/dreamina-4-0/edit';

export async function checks(): Promise<void> {
  // The model id picks the input type: every field of the seed's schema, with its enum.
  const submitted: SubmitResponse = await client.submit(MODEL, {
    image_urls: ['https://example.com/a.jpg'],
    prompt: 'p',
    'width×height': '2560x1440(16:9)',
    scale: 0.7,
    force_single: true,
  });
  const statusUrl: string = submitted.status_url;

  // @ts-expect-error: not one of the eleven sizes
  await client.submit(MODEL, { image_urls: ['u'], prompt: 'p', 'width×height': '2560x1440' });
  // @ts-expect-error: prompt is required
  await client.submit(MODEL, { image_urls: ['u'] });
  // @ts-expect-error: no such field in the schema
  await client.submit(MODEL, { image_urls: ['u'], prompt: 'p', strength: 1 });
  // @ts-expect-error: scale is a number
  await client.run(MODEL, { image_urls: ['u'], prompt: 'p', scale: '0.7' });

  // Another model id (the hosted service has more): any JSON object goes.
  await client.submit('acme/other-model', { anything: 1 });
  const known: ModelId = 'bytedance/dreamina-4-0/edit';

  // run resolves only with a completed result: its output is there.
  const done: CompletedResult = await client.run(MODEL, { image_urls: ['u'], prompt: 'p' });
  const first: string | undefined = done.output.images[0];

  // With wait, the answer may be the result body, which has no status_url.
  const waited = await client.submit(MODEL, { image_urls: ['u'], prompt: 'p' }, { wait: 10 });
  // @ts-expect-error: status_url is only on the submit body
  const maybe: string = waited.status_url;
  const result: ResultResponse | SubmitResponse = waited;
  void [statusUrl, known, first, maybe, result];
}
