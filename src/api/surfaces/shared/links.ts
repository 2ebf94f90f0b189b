/**
 * Links that work without a key, because the clients follow them without one: Replicate's
 * `urls.stream`, fal's upload URL (the client PUTs the bytes there bare) and fal's `file_url`. Each
 * is signed with the deployment's URL secret, over what it grants ("replicate-stream/<id>") and its
 * expiry, like the storage's file URLs (whose keys never start with these names, so no signature of
 * one kind is valid for another).
 */
import type { UrlSigner } from '../../../storage/signer.js';

export class LinkSigner {
  constructor(private readonly signer: UrlSigner) {}

  /** `expires=…&signature=…` for a grant until `expiresAt` (ms since epoch). */
  query(grant: string, expiresAt: number): string {
    const expires = Math.floor(expiresAt / 1000);
    return `expires=${expires}&signature=${this.signer.sign(grant, expires)}`;
  }

  valid(grant: string, query: { expires?: string | undefined; signature?: string | undefined }, now = Date.now()): boolean {
    const { expires, signature } = query;
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return false;
    return this.signer.verify(grant, Number(expires), signature, now);
  }
}
