/**
 * The network rule of these tests: traffic may only ever go to loopback. Every load in the suite
 * passes `guard.beforeConnect`, which throws (and so fails the test loudly) if the code under test
 * ever tries to dial anything else, and records what was dialled so that a refusal can be shown
 * to have happened before any connection. Names resolve only through `testLookup`: no real DNS.
 */
import { isIP } from 'node:net';
import { forbiddenRange } from '../../src/inputs/address.js';
import type { LoadOptions, LookupAddress } from '../../src/inputs/load.js';

export function isLoopback(address: string): boolean {
  return (isIP(address) === 4 && address.startsWith('127.')) || address === '::1';
}

export class DialGuard {
  readonly dialled: string[] = [];
  readonly beforeConnect = (address: string, port: number): void => {
    if (!isLoopback(address)) {
      throw new Error(`TEST GUARD: refused to dial non-loopback ${address}:${port}`);
    }
    this.dialled.push(address);
  };
}

/**
 * Names the tests use. `images.test` is the local server, treated as public by `exemptServer`;
 * the others point where an attacker would point them. Unknown names fail like NXDOMAIN.
 */
export const TEST_NAMES: Record<string, LookupAddress[]> = {
  'images.test': [{ address: '127.0.0.1', family: 4 }],
  'other.images.test': [{ address: '127.0.0.1', family: 4 }],
  'localhost-alias.test': [{ address: '127.0.0.1', family: 4 }],
  'loopback2.test': [{ address: '127.0.0.2', family: 4 }],
  'metadata-alias.test': [{ address: '169.254.169.254', family: 4 }],
  'private.test': [{ address: '10.0.0.5', family: 4 }],
  'ula.test': [{ address: 'fd12:3456::1', family: 6 }],
  'mapped.test': [{ address: '::ffff:192.168.1.1', family: 6 }],
  'mixed.test': [
    { address: '127.0.0.1', family: 4 },
    { address: '10.1.1.1', family: 4 },
  ],
};

export function testLookup(names: Record<string, LookupAddress[]> = TEST_NAMES) {
  const calls: string[] = [];
  const lookup = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const found = names[hostname.toLowerCase()];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { lookup, calls };
}

/**
 * The real address rule, except that 127.0.0.1 (the test server) counts as public. Everything
 * else on loopback (127.0.0.2, ::1) stays forbidden, so the rule is exercised end to end.
 */
export function exemptServer(address: string) {
  return address === '127.0.0.1' ? null : forbiddenRange(address);
}

/** The options every load in the suite uses unless a case says otherwise. */
export function safeOptions(extra: Partial<LoadOptions> = {}): LoadOptions & { guard: DialGuard; lookupCalls: string[] } {
  const guard = new DialGuard();
  const { lookup, calls } = testLookup();
  return { lookup, beforeConnect: guard.beforeConnect, addressRule: exemptServer, ...extra, guard, lookupCalls: calls };
}
