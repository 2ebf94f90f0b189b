/**
 * The SDK as a package: its generated types match the server's schemas, its types hold (typing.ts
 * and the README's example, compiled), it has no dependencies, and the README's five lines really
 * edit a local photo against a real server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script, checked by running it.
import { generate, TARGET } from '../../scripts/gen-client-types.mjs';
import { photo, ROOT } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CLIENT = path.join(ROOT, 'packages/client');

/** The TypeScript between the sdk-example markers of a README. */
function sdkExample(readme: string): string {
  const m = /<!-- sdk-example:start -->\n```ts\n([\s\S]*?)```\n<!-- sdk-example:end -->/.exec(fs.readFileSync(readme, 'utf8'));
  if (!m) throw new Error(`${readme} has no sdk-example block`);
  return m[1]!;
}

describe('@retouch/client as a package', () => {
  it('its generated types are what the server schemas make now (`npm run gen:client` updates them)', () => {
    expect(fs.readFileSync(TARGET, 'utf8'), 'packages/client/src/generated/types.ts is out of date: run `npm run gen:client`').toBe(generate());
  });

  // Node's globals (Buffer, process) do not compile there: its tsconfig has the DOM's types and no Node's.
  it('has no dependencies, an MIT licence, and no static Node import', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(CLIENT, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: '@retouch/client', license: 'MIT', type: 'module' });
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(fs.readFileSync(path.join(CLIENT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const sources = fs.readdirSync(path.join(CLIENT, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    for (const file of sources) {
      const text = fs.readFileSync(path.join(CLIENT, 'src', file), 'utf8');
      expect(text, file).not.toMatch(/from ['"](node:|fs|path|crypto|buffer)/);
    }
  });

  it('types model inputs by model id, and the README example compiles (typing.ts)', () => {
    const example = sdkExample(path.join(ROOT, 'README.md'));
    expect(sdkExample(path.join(CLIENT, 'README.md'))).toBe(example);
    expect(example.trim().split('\n')).toHaveLength(5);

    const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
    const virtual = path.join(ROOT, 'test/client/readme-example.ts');
    const host = ts.createCompilerHost(config.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, language, ...rest) =>
      path.resolve(file) === virtual ? ts.createSourceFile(file, `${example}export {};\n`, language) : getSourceFile(file, language, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => path.resolve(file) === virtual || fileExists(file);
    const program = ts.createProgram([path.join(ROOT, 'test/client/typing.ts'), virtual], { ...config.options, noEmit: true }, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file ? path.relative(ROOT, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  describe('the README example, run as it is', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(async () => server.close());

    it('edits a local photo in five lines', async () => {
      // Under test/scratch (ignored by git) so that `@retouch/client` resolves as in a project that installed it.
      fs.mkdirSync(path.join(ROOT, 'test/scratch'), { recursive: true });
      const dir = fs.mkdtempSync(path.join(ROOT, 'test/scratch/readme-example-'));
      try {
        fs.writeFileSync(path.join(dir, 'example.mts'), sdkExample(path.join(ROOT, 'README.md')));
        fs.writeFileSync(path.join(dir, 'photo.jpg'), await sharp(photo('coffee.png')).jpeg().toBuffer());
        const child = spawn(process.execPath, ['--import', 'tsx', 'example.mts'], {
          cwd: dir,
          env: { ...process.env, RETOUCH_URL: server.url, RETOUCH_API_KEY: server.key },
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const code = await new Promise((resolve) => child.on('exit', resolve));
        expect(code, err).toBe(0);
        const urls = out.match(/https?:\/\/[^'"\s]+/g) ?? [];
        expect(urls).toHaveLength(1);
        const edited = await fetch(urls[0]!);
        expect(edited.status).toBe(200);
        // The default size of the seed's schema: 2048x2048.
        expect(await sharp(Buffer.from(await edited.arrayBuffer())).metadata()).toMatchObject({ width: 2048, height: 2048 });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
