/**
 * Where a download connects, and nowhere else. The host name is resolved once; every address is
 * checked; the connection is then made to the checked address itself (the name is kept only for
 * the Host header and TLS), so a DNS answer that changes between the check and the connect
 * (rebinding) cannot move it. Once connected, the socket's peer address is checked again.
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector, Client } from 'undici';
import { describeRange, type ForbiddenAddress } from './address.js';
import { ImageInputError, PRIVATE_RULE, timeoutError, UNREACHABLE_RULE } from './errors.js';
import type { InputPolicy } from './types.js';
import type { CheckedUrl } from './url.js';

export interface LookupAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a host name to all its addresses, like `dns.promises.lookup(name, {all: true})`.
 * Injectable so that tests make names resolve where they choose (always loopback, on this machine).
 */
export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

export const systemLookup: Lookup = async (hostname) => {
  const found = await dns.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface DialHooks {
  lookup: Lookup;
  /** The address rule; `forbiddenRange` unless a test exempts the address of its own server. */
  addressRule: (address: string) => ForbiddenAddress | null;
  /**
   * Called with the exact address and port about to be dialled, after every check. Throwing stops
   * the dial, with that error. Tests use it to guarantee nothing but loopback is ever dialled.
   */
  beforeConnect?: (address: string, port: number) => void;
}

/** Addresses tried, in order, when the first does not answer (one of each family at most). */
const MAX_ADDRESSES = 2;

/**
 * The addresses this URL may be fetched from, all checked. A name with any forbidden address is
 * refused outright rather than filtered: a public host has no business publishing private ones, and
 * that is the shape of a rebinding attack.
 */
export async function resolveTarget(
  target: CheckedUrl,
  index: number,
  policy: InputPolicy,
  hooks: DialHooks,
  signal: AbortSignal,
  hop: number,
): Promise<string[]> {
  const via = hop > 0 ? ` after redirect ${hop}` : '';
  let addresses: string[];
  if (target.literal) {
    addresses = [target.host];
  } else {
    const found = await withTimeout(hooks.lookup(target.host), policy.connectTimeoutMs, signal, () =>
      timeoutError(index, 'connect', policy, `no address for ${short(target.host)} in time${via}`),
    ).catch((err: unknown) => {
      if (err instanceof ImageInputError || signal.aborted) throw err;
      throw new ImageInputError(index, 'unreachable', UNREACHABLE_RULE, `no address for ${short(target.host)}${via}`, {
        cause: err,
      });
    });
    addresses = found.map((a) => a.address);
  }
  if (addresses.length === 0 || addresses.some((a) => isIP(a) === 0)) {
    throw new ImageInputError(index, 'unreachable', UNREACHABLE_RULE, `no usable address for ${short(target.host)}${via}`);
  }
  for (const address of addresses) {
    const verdict = hooks.addressRule(address);
    if (verdict && (verdict.metadata || !policy.allowPrivateUrls)) {
      // The resolved address itself is not shown: it would turn this into an internal DNS oracle.
      const what = target.literal
        ? `${address}, ${describeRange(verdict.range)}`
        : `${short(target.host)}, which resolves to ${describeRange(verdict.range)}`;
      throw new ImageInputError(index, 'private_address', PRIVATE_RULE, `${what}${via}`);
    }
  }
  // The resolver's first answer first, then the first of the other family as a fallback.
  const first = addresses[0]!;
  const other = addresses.find((a) => isIP(a) !== isIP(first));
  return other ? [first, other].slice(0, MAX_ADDRESSES) : [first];
}

/**
 * An undici Client for exactly this origin that dials only `addresses`. undici asks the connector
 * for the URL's host name; the connector refuses any other name, dials the checked address with the
 * original name as TLS server name (taken from `host` by undici), then checks the connected peer.
 */
export function pinnedClient(
  target: CheckedUrl,
  addresses: string[],
  policy: InputPolicy,
  hooks: DialHooks,
): Client {
  const base = buildConnector({ timeout: policy.connectTimeoutMs });
  const connect: buildConnector.connector = (opts, callback) => {
    const asked = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
    if (asked !== target.host) {
      callback(new Error(`refusing to dial ${asked}: the checked host is ${target.host}`), null);
      return;
    }
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const attempt = (i: number) => {
      const address = addresses[i]!;
      try {
        hooks.beforeConnect?.(address, port);
      } catch (err) {
        callback(err as Error, null);
        return;
      }
      base({ ...opts, hostname: address }, (...args) => {
        const [err, socket] = args;
        if (err) {
          if (i + 1 < addresses.length && isConnectFailure(err)) attempt(i + 1);
          else callback(err, null);
          return;
        }
        const peer = socket.remoteAddress;
        if (!peer || !sameAddress(peer, address)) {
          socket.destroy();
          callback(new Error(`connected to ${peer ?? 'nothing'} instead of ${address}`), null);
          return;
        }
        callback(null, socket);
      });
    };
    attempt(0);
  };
  return new Client(target.url.origin, {
    connect,
    headersTimeout: policy.firstByteTimeoutMs,
    // Between two body chunks. The total deadline is what cuts a steady trickle.
    bodyTimeout: policy.firstByteTimeoutMs,
    pipelining: 1,
  });
}

function sameAddress(a: string, b: string): boolean {
  try {
    return ipaddr.process(a).toNormalizedString() === ipaddr.process(b).toNormalizedString();
  } catch {
    return false;
  }
}

function isConnectFailure(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT'].includes(code ?? '');
}

/** Races a promise that cannot itself be cancelled (dns.lookup) against a timeout and a signal. */
function withTimeout<T>(p: Promise<T>, ms: number, signal: AbortSignal, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => done(() => reject(onTimeout())), ms);
    const onAbort = () => done(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    function done(settle: () => void) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    }
    p.then(
      (v) => done(() => resolve(v)),
      (e: unknown) => done(() => reject(e)),
    );
  });
}

function short(host: string): string {
  return host.length > 100 ? `${host.slice(0, 100)}…` : host;
}
