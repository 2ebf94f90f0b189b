/**
 * The S3 storage against a real S3 server (s3rver), every call through a proxy that checks SigV4
 * signatures as S3 does (s3rver does not): files in and out under the configured prefix, deletions,
 * presigned downloads, and what a wrong secret or a tampered URL gets.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type S3Location } from '../../src/config.js';
import { S3Storage, clientFor } from '../../src/storage/s3/storage.js';
import { SignedUrls } from '../../src/storage/signed-urls.js';
import { UrlSigner } from '../../src/storage/signer.js';
import { photo } from '../helpers/paths.js';
import { freshBucket, useServices, type TestBucket } from '../helpers/services.js';
import { startSigningProxy, type SigningProxy } from '../helpers/sigv4-proxy.js';

useServices();

const urls = new SignedUrls(new UrlSigner(Buffer.alloc(32, 7)), () => 'http://127.0.0.1:1');

let bucket: TestBucket;
let proxy: SigningProxy;
beforeAll(async () => {
  bucket = await freshBucket();
  proxy = await startSigningProxy(bucket.endpoint, bucket);
});
afterAll(() => proxy.close());

/** The location retouch would parse from RETOUCH_STORAGE, pointed at the checking proxy. */
function location(prefix: string): S3Location {
  const config = resolveConfig({ storage: `s3://${bucket.bucket}/${prefix}?endpoint=${encodeURIComponent(proxy.url)}&region=us-east-1&path_style=true` }, {});
  if (config.storage.kind !== 's3') throw new Error('not s3');
  return config.storage;
}

function storage(prefix: string, secretAccessKey = bucket.secretAccessKey): S3Storage {
  const loc = location(prefix);
  return new S3Storage(loc, urls, clientFor(loc, { credentials: { accessKeyId: bucket.accessKeyId, secretAccessKey } }));
}

async function objectKeys(prefix: string): Promise<string[]> {
  const out = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

describe('S3 storage', () => {
  it('puts, reads and opens files under its prefix, and deletes a request folder', async () => {
    const s = storage('tenant-a/files');
    const jpeg = photo('coffee.png');
    await s.put('outputs/req1/0.png', jpeg);
    await s.put('outputs/req1/thumb.jpg', Buffer.from('thumb'));
    await s.put('outputs/req2/0.png', Buffer.from('other'));
    expect(await objectKeys('tenant-a/')).toEqual(['tenant-a/files/outputs/req1/0.png', 'tenant-a/files/outputs/req1/thumb.jpg', 'tenant-a/files/outputs/req2/0.png']);
    expect((await s.read('outputs/req1/0.png')).equals(jpeg)).toBe(true);
    const opened = (await s.open('outputs/req1/0.png'))!;
    expect(opened).toMatchObject({ size: jpeg.length, contentType: 'image/png' });
    const chunks: Buffer[] = [];
    for await (const c of opened.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(jpeg)).toBe(true);
    expect(await s.open('outputs/missing/0.png')).toBeUndefined();
    expect(await s.open('../etc/passwd')).toBeUndefined();
    await expect(s.put('outputs/../x/0.png', jpeg)).rejects.toThrow(/Invalid storage key/);

    await s.deletePrefix('outputs/req1');
    expect(await objectKeys('tenant-a/')).toEqual(['tenant-a/files/outputs/req2/0.png']);
    await expect(s.deletePrefix('outputs')).rejects.toThrow(/Invalid storage prefix/);
    expect(proxy.checked).toBeGreaterThan(5);
  });

  it('deletes only the uploads written before the cutoff', async () => {
    const s = storage('uploads-test');
    await s.put('uploads/acct_a/old.png', Buffer.from('old'));
    const cutoff = Date.now() + 2_000;
    expect(await s.deleteWrittenBefore('uploads', Date.now() - 60_000)).toBe(0);
    expect(await s.deleteWrittenBefore('uploads', cutoff)).toBe(1);
    expect(await objectKeys('uploads-test/')).toEqual([]);
  });

  it('a presigned download works and names the file; a tampered one is refused; a missing file has none', async () => {
    const s = storage('direct');
    await s.put('outputs/req3/0.jpg', Buffer.from('bytes of a jpeg'));
    const direct = (await s.directUrl('outputs/req3/0.jpg', '0.jpg'))!;
    expect(direct.startsWith(`${proxy.url}/${bucket.bucket}/direct/outputs/req3/0.jpg?`)).toBe(true);
    expect(new URL(direct).searchParams.get('X-Amz-Expires')).toBe('300');
    const ok = await fetch(direct);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('bytes of a jpeg');
    expect(ok.headers.get('content-disposition')).toBe('inline; filename="0.jpg"');

    const refusedBefore = proxy.refused;
    const otherKey = direct.replace('/req3/', '/req4/');
    expect((await fetch(otherKey)).status).toBe(403);
    const sig = new URL(direct).searchParams.get('X-Amz-Signature')!;
    const forged = direct.replace(sig, sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0'));
    expect((await fetch(forged)).status).toBe(403);
    expect(proxy.refused).toBe(refusedBefore + 2);
    expect(await s.directUrl('outputs/nope/0.jpg', '0.jpg')).toBeUndefined();
  });

  it('a wrong secret is refused by the server (the proxy checks what s3rver would not)', async () => {
    const s = storage('wrong', 'not-the-secret');
    await expect(s.put('outputs/req5/0.jpg', Buffer.from('x'))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(await objectKeys('wrong/')).toEqual([]);
  });
});
