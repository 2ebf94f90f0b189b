/** The settings of issue 12: --database-url, --storage, --storage-downloads, --database-pool. */
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/config.js';

const parse = (explicit: Record<string, string>) => resolveConfig(explicit, {});

describe('scale-out settings', () => {
  it('embedded by default: SQLite and the data dir', () => {
    const c = parse({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.storage).toEqual({ kind: 'local' });
    expect(c.storageDownloads).toBe('redirect');
    expect(c.databasePool).toBe(10);
  });

  it('reads the database URL from the environment, and refuses anything but postgres:// without echoing it', () => {
    expect(resolveConfig({}, { RETOUCH_DATABASE_URL: 'postgres://u:p@db:5432/r' }).databaseUrl).toBe('postgres://u:p@db:5432/r');
    expect(parse({ databaseUrl: 'postgresql://db/r' }).databaseUrl).toBe('postgresql://db/r');
    const err = (() => {
      try {
        parse({ databaseUrl: 'mysql://user:hunter2@db/r' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/--database-url \/ RETOUCH_DATABASE_URL must be a URL such as postgres:\/\//);
    expect(err!.message).not.toContain('hunter2');
  });

  it('parses s3://BUCKET[/PREFIX] with endpoint, region and path_style', () => {
    expect(parse({ storage: 's3://my-bucket' }).storage).toEqual({
      kind: 's3', bucket: 'my-bucket', prefix: '', endpoint: undefined, region: undefined, pathStyle: false,
    });
    expect(parse({ storage: 's3://media.example/retouch/prod/?endpoint=http://minio:9000/&region=auto&path_style=true' }).storage).toEqual({
      kind: 's3', bucket: 'media.example', prefix: 'retouch/prod', endpoint: 'http://minio:9000', region: 'auto', pathStyle: true,
    });
  });

  it.each([
    ['gs://bucket', /must be local or s3:\/\/BUCKET/],
    ['s3://Bucket_Name', /is not a bucket name/],
    ['s3://ab', /is not a bucket name/],
    ['s3://bucket/a/../b', /the prefix/],
    ['s3://bucket/a//b', /the prefix/],
    ['s3://bucket?endpont=http://x', /unknown parameter endpont/],
    ['s3://bucket?endpoint=ftp://x', /endpoint must be an http\(s\) URL/],
    ['s3://bucket?path_style=maybe', /path_style must be true or false/],
    ['s3://key:secret@bucket', /AWS_ACCESS_KEY_ID/],
  ])('refuses --storage %s with a message naming the rule', (raw, message) => {
    expect(() => parse({ storage: raw })).toThrow(message);
  });

  it('--storage-downloads is redirect or stream', () => {
    expect(parse({ storageDownloads: 'stream' }).storageDownloads).toBe('stream');
    expect(() => parse({ storageDownloads: 'proxy' })).toThrow(/must be one of redirect, stream/);
  });
});
