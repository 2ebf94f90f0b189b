/** The model bytes: assembled from imgly's chunks and checked, then resized without onnxruntime. */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelDirectory, readModel } from '../../src/engine/builtin/segment/model-file.js';
import { resizeSquareInput } from '../../src/engine/builtin/segment/onnx-graph.js';

const options = { exportedSize: 1024, inputName: 'input', outputName: 'output' };
const temporary: string[] = [];
afterAll(() => Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A copy of the package's small model chunks, with `damage` applied to the manifest or a chunk. */
async function copyOfSmallModel(damage: (dir: string, chunks: { hash: string }[]) => Promise<void>): Promise<string> {
  const source = modelDirectory();
  const manifest = JSON.parse(await readFile(path.join(source, 'resources.json'), 'utf8')) as Record<string, { chunks: { hash: string }[] }>;
  const entry = manifest['/models/small']!;
  const dir = await mkdtemp(path.join(tmpdir(), 'retouch-isnet-'));
  temporary.push(dir);
  await writeFile(path.join(dir, 'resources.json'), JSON.stringify({ '/models/small': entry }));
  await Promise.all(entry.chunks.map(({ hash }) => copyFile(path.join(source, hash), path.join(dir, hash))));
  await damage(dir, entry.chunks);
  return dir;
}

describe('the ISNet model file', () => {
  it('assembles the small model from its chunks', async () => {
    const model = await readModel('small');
    expect(model.length).toBe(44_342_436);
    expect(model[0]).toBe(0x08); // ModelProto field 1 (ir_version), a varint: an ONNX file
  });

  it('refuses a chunk whose bytes do not match its sha256 name', async () => {
    const dir = await copyOfSmallModel(async (d, chunks) => {
      const file = path.join(d, chunks[3]!.hash);
      const bytes = await readFile(file);
      bytes[1000] = bytes[1000]! ^ 0xff;
      await writeFile(file, bytes);
    });
    await expect(readModel('small', dir)).rejects.toThrow(/corrupt/);
  });

  it('refuses a manifest whose chunks leave a gap', async () => {
    const dir = await copyOfSmallModel(async (d) => {
      const manifestPath = path.join(d, 'resources.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, { chunks: unknown[] }>;
      manifest['/models/small']!.chunks.splice(2, 1);
      await writeFile(manifestPath, JSON.stringify(manifest));
    });
    await expect(readModel('small', dir)).rejects.toThrow(/do not tile/);
  });

  it('resizes the graph to a size every Resize constant can follow, and refuses others', async () => {
    const model = await readModel('small');
    const resized = resizeSquareInput(model, { ...options, size: 512 });
    // Same weights, minus the declared shapes of intermediate values and the unused outputs.
    expect(resized.length).toBeLessThan(model.length);
    expect(resized.length).toBeGreaterThan(model.length - 100_000);
    expect(() => resizeSquareInput(model, { ...options, size: 500 })).toThrow(/not supported/);
    expect(() => resizeSquareInput(Buffer.from('not a model'), { ...options, size: 512 })).toThrow();
  });
});
