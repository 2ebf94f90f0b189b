/**
 * Files on the local disk under `<data dir>/files`, served by the API at `/files/<key>` with a
 * signature in the query string.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { SignedUrlStorage, type SignedUrls } from '../signed-urls.js';
import { contentTypeOf, isValidKey, type FileStorage, type OpenedFile } from '../types.js';

export class LocalStorage extends SignedUrlStorage implements FileStorage {
  private readonly root: string;

  constructor(dataDir: string, urls: SignedUrls) {
    super(urls);
    this.root = path.join(dataDir, 'files');
    fs.mkdirSync(this.root, { recursive: true });
  }

  /** Maps a key to its file, refusing anything that could leave the root. */
  private pathOf(key: string): string {
    if (!isValidKey(key)) throw new Error(`Invalid storage key: ${JSON.stringify(key.slice(0, 100))}`);
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new Error('Storage key escapes the root');
    return file;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const file = this.pathOf(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    // Write aside and rename: a reader never sees half a file, and a crash leaves no partial one.
    const tmp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  }

  async read(key: string): Promise<Buffer> {
    return fsp.readFile(this.pathOf(key));
  }

  async open(key: string): Promise<OpenedFile | undefined> {
    if (!isValidKey(key)) return undefined;
    const file = this.pathOf(key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const { size } = await handle.stat();
    return { stream: handle.createReadStream(), size, contentType: contentTypeOf(key) };
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!/^(outputs|uploads)\/[A-Za-z0-9_-]{1,64}$/.test(prefix)) throw new Error(`Invalid storage prefix: ${prefix}`);
    await fsp.rm(path.join(this.root, prefix), { recursive: true, force: true });
  }

  async deleteWrittenBefore(kind: 'uploads', cutoff: number): Promise<number> {
    const root = path.join(this.root, kind);
    let deleted = 0;
    const owners = await fsp.readdir(root).catch(() => [] as string[]);
    for (const owner of owners) {
      const dir = path.join(root, owner);
      for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
        const file = path.join(dir, name);
        const stat = await fsp.stat(file).catch(() => undefined);
        if (stat && stat.mtimeMs < cutoff) {
          await fsp.rm(file, { force: true });
          deleted++;
        }
      }
    }
    return deleted;
  }
}
