/**
 * The ED25519 key that signs the fal surface's webhooks, as fal signs its own: the signature is
 * over `request_id \n user_id \n timestamp \n sha256-hex(body)`, sent hex-encoded in
 * `X-Fal-Webhook-Signature`, and the public key is published as a JSON Web Key Set that receivers
 * fetch (fal's is at rest.alpha.fal.ai/.well-known/jwks.json; retouch's at
 * /fal/.well-known/jwks.json). The private key is a 32-byte seed made once in the data dir, like
 * the URL-signing secret, so every process sharing the dir signs with the same key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** DER prefix of a PKCS#8 ED25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
}

export class FalWebhookKey {
  private readonly jwk: Jwk;

  private constructor(private readonly privateKey: crypto.KeyObject) {
    const { x } = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string };
    this.jwk = { kty: 'OKP', crv: 'Ed25519', x, kid: crypto.createHash('sha256').update(x).digest('base64url').slice(0, 16), use: 'sig', alg: 'EdDSA' };
  }

  static fromSeed(seed: Buffer): FalWebhookKey {
    if (seed.length !== 32) throw new Error('An ED25519 seed is 32 bytes');
    return new FalWebhookKey(crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' }));
  }

  jwks(): { keys: Jwk[] } {
    return { keys: [this.jwk] };
  }

  /** The `X-Fal-Webhook-*` headers for one delivery of `body`. */
  headers(requestId: string, userId: string, sentAt: Date, body: string): Record<string, string> {
    const timestamp = String(Math.floor(sentAt.getTime() / 1000));
    const digest = crypto.createHash('sha256').update(body, 'utf8').digest('hex');
    const message = Buffer.from([requestId, userId, timestamp, digest].join('\n'), 'utf8');
    return {
      'x-fal-webhook-request-id': requestId,
      'x-fal-webhook-user-id': userId,
      'x-fal-webhook-timestamp': timestamp,
      'x-fal-webhook-signature': crypto.sign(null, message, this.privateKey).toString('hex'),
    };
  }
}
