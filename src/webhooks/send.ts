/**
 * One webhook POST, under the same address rules as image URLs: the URL is checked, the name
 * resolved once, every address checked, and the connection pinned to a checked address (so a
 * receiver cannot be pointed at the metadata service or an internal port, not even by DNS
 * rebinding). Redirects are not followed: a receiver answers where it said it lives.
 */
import { resolveTarget, pinnedClient, type DialHooks } from '../inputs/dial.js';
import { USER_AGENT } from '../inputs/fetch.js';
import type { InputPolicy } from '../inputs/types.js';
import { checkUrl } from '../inputs/url.js';

export interface SendOptions {
  policy: InputPolicy;
  hooks: DialHooks;
  timeoutMs: number;
}

/** Resolves with the receiver's HTTP status; rejects when it could not be reached or was refused. */
export async function postWebhook(url: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<number> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const target = checkUrl(url, 0, options.policy);
  const addresses = await resolveTarget(target, 0, options.policy, options.hooks, signal, 0);
  const client = pinnedClient(target, addresses, options.policy, options.hooks);
  try {
    const res = await client.request({
      method: 'POST',
      path: `${target.url.pathname}${target.url.search}`,
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
      body,
      signal,
    });
    // The answer's body means nothing to us; read a little and let go.
    await res.body.dump({ limit: 64 * 1024 });
    return res.statusCode;
  } finally {
    await client.close().catch(() => undefined);
  }
}
