/**
 * https through the pinned connector: the name goes to TLS as SNI while the checked address is
 * dialled, and certificates are verified (an untrusted one is refused). A throwaway self-signed
 * certificate for images.test is made with the openssl command line, when there is one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createSecureContext, type SecureContext } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ImageInputError } from '../../src/inputs/errors.js';
import { loadImages } from '../../src/inputs/load.js';
import { defaultInputPolicy } from '../../src/inputs/policy.js';
import { photo } from './images.js';
import { safeOptions } from './net.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const openssl = hasOpenssl();
let server: https.Server | undefined;
let port = 0;
const servernames: string[] = [];
let dir = '';

beforeAll(async () => {
  if (!openssl) return;
  dir = mkdtempSync(join(tmpdir(), 'retouch-tls-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=images.test', '-addext', 'subjectAltName=DNS:images.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { stdio: 'ignore' },
  );
  const key = readFileSync(join(dir, 'key.pem'));
  const cert = readFileSync(join(dir, 'cert.pem'));
  // SNICallback sees the server name of every ClientHello, even when the client then rejects the certificate.
  const SNICallback = (name: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
    servernames.push(name);
    cb(null, createSecureContext({ key, cert }));
  };
  server = https.createServer({ key, cert, SNICallback }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' }).end(photo('chelsea.png'));
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  if (server) {
    server.closeAllConnections();
    server.close();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it.skipIf(!openssl)('dials the checked address, sends the name as SNI, and refuses an untrusted certificate', async () => {
  const opts = safeOptions();
  const err = await loadImages([`https://images.test:${port}/a.png`], defaultInputPolicy(), opts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImageInputError);
  expect((err as ImageInputError).reason).toBe('unreachable');
  expect((err as ImageInputError).message).toMatch(/\(found a TLS error \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)\)/);
  expect(opts.guard.dialled).toEqual(['127.0.0.1']);
  expect(servernames).toEqual(['images.test']);
});
