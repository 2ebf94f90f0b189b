/**
 * s3rver does not check request signatures (its SigV4 check is "unimplemented": it accepts a wrong
 * secret, a tampered signature, a tampered key). This proxy sits in front of it and does what real
 * S3 does: it recomputes each request's SigV4 signature (header or presigned query) with the secret
 * it knows, refuses a mismatch with 403 SignatureDoesNotMatch, and forwards the rest unchanged.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

/** The hash SignatureV4 asks for, from node:crypto. */
const bytes = (data: unknown): string | Buffer => {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as ArrayBuffer);
};

class Sha256 {
  private hash: crypto.Hash | crypto.Hmac;
  private readonly secret: string | Buffer | undefined;
  constructor(secret?: unknown) {
    this.secret = secret === undefined ? undefined : bytes(secret);
    this.hash = this.secret ? crypto.createHmac('sha256', this.secret) : crypto.createHash('sha256');
  }
  update(data: unknown): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.secret ? crypto.createHmac('sha256', this.secret) : crypto.createHash('sha256');
  }
}

export interface SigningProxy {
  url: string;
  /** Requests whose signature matched, and those refused. */
  checked: number;
  refused: number;
  close(): Promise<void>;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

function amzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new Error(`bad X-Amz-Date ${value}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

async function expectedSignature(req: http.IncomingMessage, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<{ given: string; expected: string } | undefined> {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, String(req.headers[n] ?? '')]));
  const base = { method: req.method ?? 'GET', protocol: 'http:', hostname: 'proxy', path: url.pathname };

  const header = AUTH.exec(String(req.headers.authorization ?? ''));
  if (header) {
    const [, accessKeyId, , region, signedHeaders, given] = header;
    if (accessKeyId !== credentials.accessKeyId) return { given: given!, expected: 'unknown access key' };
    const signer = new SignatureV4({ credentials, region: region!, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const signed = await signer.sign(
      { ...base, query, headers: pick(signedHeaders!.split(';')) },
      { signingDate: amzDate(String(req.headers['x-amz-date'])) },
    );
    return { given: given!, expected: AUTH.exec(String(signed.headers.authorization))![5]! };
  }
  if (query['X-Amz-Signature']) {
    const [accessKeyId, , region] = (query['X-Amz-Credential'] ?? '').split('/');
    const given = query['X-Amz-Signature'];
    if (accessKeyId !== credentials.accessKeyId) return { given, expected: 'unknown access key' };
    const signingDate = amzDate(query['X-Amz-Date'] ?? '');
    const expiresIn = Number(query['X-Amz-Expires']);
    if (signingDate.getTime() + expiresIn * 1000 < Date.now()) return { given, expected: 'expired' };
    const unsigned = { ...query };
    for (const k of ['X-Amz-Signature', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders']) delete unsigned[k];
    const signer = new SignatureV4({ credentials, region: region!, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    // The payload hash travels in the query (UNSIGNED-PAYLOAD); the signer reads it from the header
    // it hoists into the query, under the same name (the case counts in the canonical query).
    const headers = pick((query['X-Amz-SignedHeaders'] ?? 'host').split(';'));
    if (unsigned['X-Amz-Content-Sha256']) {
      headers['X-Amz-Content-Sha256'] = unsigned['X-Amz-Content-Sha256'];
      delete unsigned['X-Amz-Content-Sha256'];
    }
    const presigned = await signer.presign(
      { ...base, query: unsigned, headers },
      { signingDate, expiresIn },
    );
    return { given, expected: String(presigned.query!['X-Amz-Signature']) };
  }
  return undefined;
}

export async function startSigningProxy(target: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<SigningProxy> {
  const to = new URL(target);
  const proxy: SigningProxy = { url: '', checked: 0, refused: 0, close: async () => undefined };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    let verdict;
    try {
      verdict = await expectedSignature(req, credentials);
    } catch (err) {
      verdict = { given: '', expected: (err as Error).message };
    }
    if (!verdict || verdict.given !== verdict.expected) {
      proxy.refused++;
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${verdict ? 'SignatureDoesNotMatch' : 'AccessDenied'}</Code><Message>checked by the test proxy</Message></Error>`);
      return;
    }
    proxy.checked++;
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}
