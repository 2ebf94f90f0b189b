import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, ConfigError, duration, resolveConfig } from '../../src/config.js';

describe('configuration', () => {
  it('has the embedded defaults', () => {
    const c = resolveConfig({}, {});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      dataDir: path.resolve('.retouch'),
      publicUrl: 'http://127.0.0.1:8000',
      maxQueue: 1000,
      allowPrivateUrls: false,
      retention: 7 * 86_400_000,
      urlTtl: 7 * 86_400_000,
      maxAttempts: 3,
    });
    expect(c.apiKey).toBeUndefined();
  });

  it('flags win over the environment, which wins over defaults', () => {
    const env = { RETOUCH_PORT: '9000', RETOUCH_HOST: '0.0.0.0', RETOUCH_ALLOW_PRIVATE_URLS: 'yes' };
    expect(resolveConfig({}, env)).toMatchObject({ port: 9000, host: '0.0.0.0', allowPrivateUrls: true, publicUrl: 'http://127.0.0.1:9000' });
    expect(resolveConfig({ port: '9100' }, env).port).toBe(9100);
    expect(resolveConfig({ publicUrl: 'https://edit.example.com/' }, env).publicUrl).toBe('https://edit.example.com');
  });

  it('refuses bad values naming the flag and the variable', () => {
    expect(() => resolveConfig({}, { RETOUCH_PORT: '70000' })).toThrow(/--port \/ RETOUCH_PORT must be a whole number from 0 to 65535/);
    expect(() => resolveConfig({ publicUrl: 'ftp://x' }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ retention: 'forever' }, {})).toThrow(/--retention \/ RETOUCH_RETENTION must be a duration/);
    expect(() => resolveConfig({ allowPrivateUrls: 'maybe' }, {})).toThrow(/true or false/);
  });

  it('reads durations and sizes', () => {
    expect(duration('500ms', 'x')).toBe(500);
    expect(duration('30', 'x')).toBe(30_000);
    expect(duration('1.5h', 'x')).toBe(5_400_000);
    expect(bytes('64mb', 'x')).toBe(64 * 1024 * 1024);
    expect(bytes('512KB', 'x')).toBe(512 * 1024);
  });
});
