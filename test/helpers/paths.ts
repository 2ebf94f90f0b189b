import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared sample photographs, copied into the repository so that a clean clone has them. */
export const PHOTOS = path.join(ROOT, 'test/fixtures/photos');
export const BIN = path.join(ROOT, 'bin/retouch.js');

export function photo(name: string): Buffer {
  return fs.readFileSync(path.join(PHOTOS, name));
}

export function dataUri(name: string): string {
  return `data:image/png;base64,${photo(name).toString('base64')}`;
}

export function tempDir(prefix = 'retouch-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
