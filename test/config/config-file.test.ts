/** The configuration file: settings, engines, routes and limits, and the messages a broken file gets. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { tempDir } from '../helpers/paths.js';
import { retouch } from '../helpers/process.js';

function file(name: string, text: string): string {
  const p = path.join(tempDir('retouch-config-'), name);
  fs.writeFileSync(p, text);
  return p;
}

function problems(text: string, name = 'retouch.yaml'): string {
  try {
    resolveConfig({ config: file(name, text) }, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

describe('configuration file', () => {
  it('gives every setting by its snake_case name; flags and the environment win over it', () => {
    const p = file('retouch.yaml', 'port: 9001\nmax_queue: 50\nallow_private_urls: true\nretention: 2d\nallowed_hosts: [a.example, "*.b.example"]\ndata_dir: ./state\n');
    const c = resolveConfig({ config: p }, {});
    expect(c).toMatchObject({ port: 9001, maxQueue: 50, allowPrivateUrls: true, retention: 2 * 86_400_000, allowedHosts: ['a.example', '*.b.example'] });
    // Paths in the file are relative to the file.
    expect(c.dataDir).toBe(path.join(path.dirname(p), 'state'));
    expect(resolveConfig({ config: p, port: '9100' }, {}).port).toBe(9100);
    expect(resolveConfig({}, { RETOUCH_CONFIG: p, RETOUCH_MAX_QUEUE: '7' }).maxQueue).toBe(7);
  });

  it('reads routes and default limits; without a file, builtin serves every model and nothing is limited', () => {
    const p = file(
      'retouch.yaml',
      ['models:', '  bytedance/dreamina-4-0/edit:', '    engines: [builtin]', 'limits: {rpm: 60, concurrent: 4, daily_images: 500}', ''].join('\n'),
    );
    const c = resolveConfig({ config: p }, {});
    expect([...c.routes]).toEqual([['bytedance/dreamina-4-0/edit', ['builtin']]]);
    expect(c.limits).toEqual({ rpm: 60, concurrent: 4, dailyImages: 500 });
    const none = resolveConfig({}, {});
    expect(none.routes.size).toBe(0);
    expect(none.engines).toEqual({});
    expect(none.limits).toEqual({});
  });

  it('takes JSON as well as YAML, and an empty file', () => {
    const p = file('retouch.json', JSON.stringify({ port: 9002, engines: { builtin: { type: 'builtin', max_concurrency: 2 } } }));
    const c = resolveConfig({ config: p }, {});
    expect(c.port).toBe(9002);
    expect(c.engines.builtin).toMatchObject({ type: 'builtin', maxConcurrency: 2 });
    expect(resolveConfig({ config: file('empty.yaml', '') }, {}).port).toBe(8000);
  });

  it('names a misspelt key, with what was meant', () => {
    expect(problems('max_queu: 5\n')).toContain('max_queu: unknown key; did you mean "max_queue"?');
    expect(problems('limits: {rpm: 60, daily_image: 5}\n')).toContain('limits.daily_image: unknown key; did you mean "daily_images"?');
    expect(problems('engines:\n  builtin:\n    type: builtin\n    max_concurency: 2\n')).toContain(
      'engines.builtin.max_concurency: unknown key; did you mean "max_concurrency"?',
    );
    expect(problems('limits: {per_hour: 5}\n')).toContain('limits.per_hour: unknown key (expected one of: rpm, concurrent, daily_images)');
  });

  it('names a key of the wrong type, what was expected and what was found', () => {
    expect(problems('engines:\n  builtin: {type: builtin, max_concurrency: four}\n')).toContain(
      'engines.builtin.max_concurrency: expected a whole number from 1 to 1024 (got "four")',
    );
    expect(problems('engines:\n  builtin: {type: builtin, timeout: soon}\n')).toContain(
      'engines.builtin.timeout: expected a duration such as 30s, 10m or 2h, or a number of seconds (got "soon")',
    );
    expect(problems('limits: {rpm: 0}\n')).toContain('limits.rpm: expected a whole number of submits per minute, at least 1 (got 0)');
    // A setting in the file is read by the same rule as its flag, and the message names the file.
    expect(problems('port: 99999\n')).toMatch(/port in .*retouch\.yaml must be a whole number from 0 to 65535/);
  });

  it('refuses unknown engine types, undefined engines in a route, unknown models, and reports them all at once', () => {
    const message = problems(
      [
        'engines:',
        '  gpu: {type: comfyuy}',
        'models:',
        '  bytedance/dreamina-4-0/edit: {engines: [gpu, cpu2, builtin]}',
        '  bytedance/dreamina-4-0/edits: {engines: [builtin]}',
        '',
      ].join('\n'),
    );
    expect(message).toContain('engines.gpu.type: unknown engine type "comfyuy"');
    expect(message).toContain('models.bytedance/dreamina-4-0/edit.engines[1]: no engine named "cpu2"');
    // The broken engine is still defined: its problem is not repeated at the route.
    expect(message).not.toContain('no engine named "gpu"');
    expect(message).toContain('models.bytedance/dreamina-4-0/edits: unknown model; did you mean "bytedance/dreamina-4-0/edit"?');
  });

  it('says what is wrong with a file that is not YAML, not JSON, or not there', () => {
    expect(problems('port: [9001\n')).toContain('not valid YAML');
    expect(problems('{"port": 9001,}', 'retouch.json')).toContain('not valid JSON');
    expect(problems('- a\n- b\n')).toContain('(top level): expected a map of keys');
    expect(() => resolveConfig({ config: '/nonexistent/retouch.yaml' }, {})).toThrow('the file does not exist');
  });

  it('`retouch config check` validates without starting: 0 and a summary, or 2 and the problems', () => {
    const good = file('retouch.yaml', 'models:\n  bytedance/dreamina-4-0/edit: {engines: [builtin]}\nlimits: {rpm: 60}\n');
    const ok = retouch(['config', 'check', good]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('is valid');
    expect(ok.stdout).toContain('bytedance/dreamina-4-0/edit: builtin');
    const bad = retouch(['config', 'check', file('retouch.yaml', 'engines:\n  gpu: {type: builtin}\n')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('engines.gpu.type: the name "builtin" is reserved');
  });
});
