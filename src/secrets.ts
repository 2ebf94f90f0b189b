/**
 * Secrets every process of a deployment must share (the key that signs file and link URLs, the fal
 * webhook signing key), made by whichever process needs one first. Embedded, each is a file in the
 * data dir; with PostgreSQL, a row of the `secrets` table (keys/postgres/store.ts), so that every
 * node signs and checks alike and nothing is written to any node's disk.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type SecretName = 'url_signing' | 'fal_webhook';

/** 32 random bytes each. */
export const SECRET_BYTES = 32;

/** The embedded installs' file names, as they have always been. */
const FILES: Record<SecretName, string> = { url_signing: 'secret', fal_webhook: 'fal-webhook-ed25519' };

export type SecretSource = (name: SecretName) => Promise<Buffer>;

export function fileSecret(dataDir: string, name: SecretName): Buffer {
  const file = path.join(dataDir, FILES[name]);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx' fails when the file exists: the first process to start writes it, the others read it.
    fs.writeFileSync(file, crypto.randomBytes(SECRET_BYTES).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  if (secret.length !== SECRET_BYTES) throw new Error(`${file} does not hold a ${SECRET_BYTES}-byte hex secret`);
  return secret;
}
