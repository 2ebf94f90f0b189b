/** Turning what a caller has (bytes, a Blob, or a file path on Node) into a Blob to upload. */

export type UploadSource = Uint8Array | ArrayBuffer | Blob | string;

function sniffType(head: Uint8Array): string {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'image/png';
  return 'application/octet-stream';
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png' };

/** Node's fs, loaded only when a path is given, so that browser bundles never need it. */
async function readFileFromPath(path: string): Promise<Uint8Array> {
  const specifier = 'node:fs/promises';
  let fs: { readFile(path: string): Promise<Uint8Array> };
  try {
    fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as typeof fs;
  } catch {
    throw new TypeError('upload(path) needs Node.js; in a browser, pass a Blob or File.');
  }
  return fs.readFile(path);
}

export async function toBlob(source: UploadSource, filename?: string): Promise<{ blob: Blob; filename: string }> {
  if (typeof source === 'string') {
    const bytes = await readFileFromPath(source);
    return toBlob(bytes, filename ?? source.split(/[\\/]/).pop());
  }
  if (source instanceof Blob) {
    const head = new Uint8Array(await source.slice(0, 4).arrayBuffer());
    const type = source.type || sniffType(head);
    const named = (source as Blob & { name?: unknown }).name;
    return { blob: source.type ? source : new Blob([source], { type }), filename: filename ?? (typeof named === 'string' && named ? named : `image.${EXTENSIONS[type] ?? 'bin'}`) };
  }
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  const type = sniffType(bytes);
  return { blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), filename: filename ?? `image.${EXTENSIONS[type] ?? 'bin'}` };
}
