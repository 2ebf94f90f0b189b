/**
 * A comfyui engine in the configuration file: the issue's ten lines as written, and the mistakes
 * an operator makes, each refused at start (and by `retouch config check`) with the key named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../src/config.js';
import { ROOT, tempDir } from '../../helpers/paths.js';
import { retouch } from '../../helpers/process.js';

/** A config file in a folder of its own, with the shipped workflows copied beside it. */
function configDir(yaml: string): string {
  const dir = tempDir('retouch-comfy-config-');
  fs.cpSync(path.join(ROOT, 'workflows'), path.join(dir, 'workflows'), { recursive: true });
  const file = path.join(dir, 'retouch.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolveConfig({ config: configDir(yaml) }, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

const ISSUE_CONFIG = `engines:
  gpu:
    type: comfyui
    url: http://127.0.0.1:8188
    workflow: ./workflows/qwen-image-edit-2509.json
models:
  bytedance/dreamina-4-0/edit:
    engines: [gpu, builtin]
`;

const engine = (lines: string) => `engines:\n  gpu:\n    type: comfyui\n${lines}models:\n  bytedance/dreamina-4-0/edit:\n    engines: [gpu, builtin]\n`;

describe('a comfyui engine in the configuration file', () => {
  it('accepts the issue\'s configuration as written', () => {
    const file = configDir(ISSUE_CONFIG);
    const config = resolveConfig({ config: file }, {});
    expect(config.engines.gpu).toMatchObject({ type: 'comfyui', options: { url: 'http://127.0.0.1:8188', workflow: './workflows/qwen-image-edit-2509.json' } });
    expect(config.routes.get('bytedance/dreamina-4-0/edit')).toEqual(['gpu', 'builtin']);
    const check = retouch(['config', 'check', file]);
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('Engines: builtin (builtin), gpu (comfyui)');
    expect(check.stdout).toContain('bytedance/dreamina-4-0/edit: gpu → builtin');
  });

  it('refuses a misspelt key, naming it and the key meant', () => {
    const file = configDir(engine('    url: http://127.0.0.1:8188\n    workflw: qwen-image-edit-2509\n'));
    const check = retouch(['config', 'check', file]);
    expect(check.status).toBe(2);
    expect(check.stderr).toContain('engines.gpu.workflw: unknown key; did you mean "workflow"?');
    expect(check.stderr).toContain('engines.gpu: "workflow" is required');
  });

  it('checks the workflow file: it exists, it is in API format, its placeholders are known', () => {
    expect(problems(engine('    url: http://127.0.0.1:8188\n    workflow: ./workflows/qwen-image-edit.json\n'))).toMatch(
      /engines\.gpu\.workflow: no file at .*workflows\/qwen-image-edit\.json; did you mean the shipped workflow "qwen-image-edit-2509"\?/,
    );
    const dir = path.dirname(configDir(''));
    fs.writeFileSync(path.join(dir, 'ui.json'), JSON.stringify({ nodes: [], links: [], version: 0.4 }));
    fs.writeFileSync(path.join(dir, 'typo.json'), JSON.stringify({ '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{promt}}' } }, '9': { class_type: 'SaveImage', inputs: {} } }));
    const at = (name: string) => path.join(dir, name);
    expect(problems(engine(`    url: http://127.0.0.1:8188\n    workflow: ${at('ui.json')}\n`))).toContain(
      'engines.gpu.workflow: this is a UI workflow (nodes and links); in ComfyUI, save it with "Export (API)" and use that file',
    );
    expect(problems(engine(`    url: http://127.0.0.1:8188\n    workflow: ${at('typo.json')}\n`))).toContain(
      'engines.gpu.workflow: node 6 input "text": unknown placeholder {{promt}}; did you mean {{prompt}}?',
    );
  });

  it('wants url or urls, http(s) addresses, and the variables headers_env names', () => {
    expect(problems(engine('    workflow: weightless-blend\n'))).toContain('engines.gpu.url: give url (one ComfyUI server) or urls (a pool of them)');
    expect(problems(engine('    url: http://a:8188\n    urls: [http://b:8188]\n    workflow: weightless-blend\n'))).toContain('engines.gpu.urls: give url or urls, not both');
    expect(problems(engine('    url: ftp://gpu:8188\n    workflow: weightless-blend\n'))).toContain('engines.gpu.url: expected an http:// or https:// URL (got "ftp://gpu:8188")');
    expect(problems(engine('    urls: [http://a:8188, http://a:8188]\n    workflow: weightless-blend\n'))).toContain('engines.gpu.urls: a server is listed twice');
    const headers = engine('    url: https://gpu.example:8443/comfy\n    workflow: weightless-blend\n    headers_env: {Authorization: COMFY_PROXY_AUTH}\n');
    expect(problems(headers)).toContain('engines.gpu.headers_env.Authorization: the environment variable COMFY_PROXY_AUTH is not set');
    expect(resolveConfig({ config: configDir(headers) }, { COMFY_PROXY_AUTH: 'Bearer x' }).engines.gpu!.type).toBe('comfyui');
    expect(problems(engine('    url: http://a:8188\n    workflow: weightless-blend\n    request_timeout: soon\n'))).toContain(
      'engines.gpu.request_timeout: expected a duration such as 30s, 10m or 2h, or a number of seconds (got "soon")',
    );
  });
});
