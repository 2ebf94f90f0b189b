/**
 * Files in an S3-compatible bucket (AWS S3, R2, MinIO, Ceph…), so that API nodes and workers on
 * different machines share them with no shared disk. Credentials come from the AWS SDK's usual
 * chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role).
 *
 * Clients never see bucket URLs in results: they get retouch's own signed URLs (7 days by default,
 * longer than a presigned URL may live), and the files route answers one with a redirect to a
 * presigned GET that lives a few minutes (or relays the bytes, `--storage-downloads stream`).
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  type _Object,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Location } from '../../config.js';
import { SignedUrlStorage, type SignedUrls } from '../signed-urls.js';
import { contentTypeOf, isValidKey, type FileStorage, type OpenedFile } from '../types.js';

/** How long a redirect's presigned URL works: enough to start the download, short enough not to share. */
export const PRESIGNED_SECONDS = 300;
const PREFIX_SHAPE = /^(outputs|uploads)\/[A-Za-z0-9_-]{1,64}$/;

export class S3Storage extends SignedUrlStorage implements FileStorage {
  readonly directOrigin: string | undefined;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    location: S3Location,
    urls: SignedUrls,
    private readonly client: S3Client = clientFor(location),
  ) {
    super(urls);
    this.bucket = location.bucket;
    this.prefix = location.prefix;
    this.directOrigin = originOf(location);
  }

  /** The object key: the bucket may be shared, so everything sits under the configured prefix. */
  private objectKey(key: string): string {
    if (!isValidKey(key)) throw new Error(`Invalid storage key: ${JSON.stringify(key.slice(0, 100))}`);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, data: Buffer): Promise<void> {
    // A Buffer, not a stream: a streamed body goes out as aws-chunked, which some S3-compatible
    // servers store as it is instead of decoding.
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: data, ContentType: contentTypeOf(key), ContentLength: data.length }),
    );
  }

  async read(key: string): Promise<Buffer> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async open(key: string): Promise<OpenedFile | undefined> {
    if (!isValidKey(key)) return undefined;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { stream: out.Body as Readable, size: out.ContentLength ?? 0, contentType: contentTypeOf(key) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async directUrl(key: string, filename: string): Promise<string | undefined> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const command = new GetObjectCommand({ Bucket: this.bucket, Key, ResponseContentDisposition: `inline; filename="${filename}"` });
    return getSignedUrl(this.client, command, { expiresIn: PRESIGNED_SECONDS });
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!PREFIX_SHAPE.test(prefix)) throw new Error(`Invalid storage prefix: ${prefix}`);
    await this.deleteListed(`${this.prefix ? `${this.prefix}/` : ''}${prefix}/`, () => true);
  }

  async deleteWrittenBefore(kind: 'uploads', cutoff: number): Promise<number> {
    return this.deleteListed(`${this.prefix ? `${this.prefix}/` : ''}${kind}/`, (o) => (o.LastModified?.getTime() ?? Infinity) < cutoff);
  }

  /** Deletes the listed objects under `prefix` that `which` picks, a page (≤ 1000) at a time. */
  private async deleteListed(prefix: string, which: (o: _Object) => boolean): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      const keys = (page.Contents ?? []).filter(which).map((o) => ({ Key: o.Key! }));
      if (keys.length) {
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}

/** The client for a location; `overrides` (credentials, say) win over what the location implies. */
export function clientFor(location: S3Location, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region: location.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    forcePathStyle: location.pathStyle,
    // The SDK's default CRC32 checksums (since 3.729) are refused or mishandled by several
    // S3-compatible servers (R2, OVH, s3rver); checksums only where the API requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    ...overrides,
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** Where presigned URLs point, for the playground's Content-Security-Policy. */
function originOf(location: S3Location): string | undefined {
  const region = location.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const base = new URL(location.endpoint ?? `https://s3.${region}.amazonaws.com`);
  return location.pathStyle ? base.origin : `${base.protocol}//${location.bucket}.${base.host}`;
}
