/**
 * The surfaces' uploads in an S3 bucket (every call through a proxy that checks signatures and
 * notes what was asked): a download of a fal file or a Replicate file reads the object once, a
 * submit that names an upload only looks for it (HEAD), and a bucket in an outage is an error of
 * the server, never "there is no such file" to the client.
 */
import Replicate from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { freshBucket, useServices, type TestBucket } from '../helpers/services.js';
import { startSigningProxy, type SigningProxy } from '../helpers/sigv4-proxy.js';

useServices();

const ENDPOINT = 'fal-ai/bytedance/seedream/v4/edit';

describe('surface uploads in S3', () => {
  let bucket: TestBucket;
  let proxy: SigningProxy;
  let server: TestServer;

  beforeAll(async () => {
    bucket = await freshBucket();
    proxy = await startSigningProxy(bucket.endpoint, bucket);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: bucket.accessKeyId, AWS_SECRET_ACCESS_KEY: bucket.secretAccessKey });
    const storage = `s3://${bucket.bucket}/files?endpoint=${encodeURIComponent(proxy.url)}&region=us-east-1&path_style=true`;
    // No worker: the only reads of the bucket are the API's own.
    server = await startServer({ worker: false, settings: { storage } });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
  });

  /** The bucket requests made for one upload while `act` runs. */
  const bucketCalls = async (fileId: string, act: () => Promise<unknown>) => {
    const from = proxy.seen.length;
    await act();
    return proxy.seen.slice(from).filter((s) => s.includes(fileId)).map((s) => s.split(' ')[0]);
  };

  const falHeaders = () => ({ authorization: `Key ${server.key}`, 'content-type': 'application/json' });

  /** A file put through fal's storage upload; its file_url. */
  const falUpload = async (name: string) => {
    const initiated = await (await fetch(`${server.url}/fal/rest/storage/upload/initiate`, { method: 'POST', headers: falHeaders(), body: JSON.stringify({ content_type: 'image/png', file_name: name }) })).json();
    expect((await fetch(initiated.upload_url, { method: 'PUT', body: photo('horse.png'), headers: { 'content-type': 'image/png' } })).status).toBe(200);
    return { fileUrl: initiated.file_url as string, fileId: new URL(initiated.file_url).pathname.split('/').pop()! };
  };

  const falSubmit = (imageUrl: string) =>
    fetch(`${server.url}/fal/queue/${ENDPOINT}`, { method: 'POST', headers: falHeaders(), body: JSON.stringify({ prompt: 'p', image_urls: [imageUrl] }) });

  it('reads a fal file once to serve it, and only looks for it (HEAD) when a submit names it', async () => {
    const { fileUrl, fileId } = await falUpload('horse.png');
    let body: Buffer | undefined;
    expect(
      await bucketCalls(fileId, async () => {
        const res = await fetch(fileUrl);
        expect(res.status).toBe(200);
        body = Buffer.from(await res.arrayBuffer());
      }),
    ).toEqual(['GET']);
    expect(body!.equals(photo('horse.png'))).toBe(true);

    expect(
      await bucketCalls(fileId, async () => {
        expect((await falSubmit(fileUrl)).status).toBe(200);
      }),
    ).toEqual(['HEAD']);
  });

  it('reads a Replicate file once to answer GET /files/{id}, and only looks for it when a prediction names it', async () => {
    const replicate = new Replicate({ auth: server.key, baseUrl: `${server.url}/replicate/v1` });
    const file = await replicate.files.create(photo('horse.png'));
    expect(
      await bucketCalls(file.id, async () => {
        expect(await replicate.files.get(file.id)).toMatchObject({ id: file.id, content_type: 'image/png', size: photo('horse.png').length });
      }),
    ).toEqual(['GET']);
    expect(
      await bucketCalls(file.id, async () => {
        await replicate.predictions.create({ model: 'bytedance/seedream-4', input: { prompt: 'p', image_input: [file.urls.get] } });
      }),
    ).toEqual(['HEAD']);
  });

  it('answers a bucket outage as an error of the server, not as a missing file, and serves again after it', async () => {
    const { fileUrl } = await falUpload('during-outage.png');
    const replicate = new Replicate({ auth: server.key, baseUrl: `${server.url}/replicate/v1` });
    const file = await replicate.files.create(photo('horse.png'));
    const replicateCreate = () =>
      fetch(`${server.url}/replicate/v1/models/bytedance/seedream-4/predictions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { prompt: 'p', image_input: [file.urls.get] } }),
      });
    const replicateGet = () => fetch(file.urls.get, { headers: { authorization: `Bearer ${server.key}` } });

    proxy.down = true;
    try {
      for (const res of [await fetch(fileUrl), await falSubmit(fileUrl), await replicateGet(), await replicateCreate()]) {
        expect(res.status).toBe(500);
      }
    } finally {
      proxy.down = false;
    }
    expect((await fetch(fileUrl)).status).toBe(200);
    expect((await falSubmit(fileUrl)).status).toBe(200);
    expect((await replicateGet()).status).toBe(200);
    expect((await replicateCreate()).status).toBe(201);
  });
});
