/**
 * How the reference images reach a provider. retouch has already fetched and checked every one;
 * what it sends is, in order of preference:
 * - the public URL the request gave, when the provider can fetch it itself (no bytes re-sent);
 * - the bytes as a data URI, for providers that take them (Ark, fal, Replicate);
 * - for providers that take URLs only (Jimeng, the hosted Model API), a copy in retouch's own
 *   storage under a signed URL of --public-url, when the provider can reach that address.
 * A provider is never handed a URL it cannot reach: a data: URI it does not take, an upload, or a
 * private address. Private addresses are sendable only to a provider that is itself on a private
 * address, and only when --allow-private-urls says such addresses are in use.
 */
import { isIP } from 'node:net';
import { forbiddenRange, isMetadataHostName } from '../../inputs/address.js';
import { systemLookup, type Lookup } from '../../inputs/dial.js';
import type { SourceImage } from '../../inputs/types.js';
import type { FileStorage } from '../../storage/types.js';
import { EngineUnavailableError } from '../errors.js';

export type ReferenceMode =
  /** URLs when reachable, data URIs otherwise. */
  | 'url_or_data'
  /** URLs only: reachable ones as given, the others shared from retouch's storage. */
  | 'url';

export interface ReferenceDeps {
  /** The provider's base URL: a provider on a private address can reach private addresses. */
  providerUrl: string;
  allowPrivateUrls: boolean;
  /** Where references without a reachable URL are shared from, for URL-only providers. */
  storage?: FileStorage | undefined;
  lookup?: Lookup | undefined;
}

export function referenceDepsOf(
  providerUrl: string,
  deps: { allowPrivateUrls: boolean; storage?: FileStorage | undefined; dialHooks?: { lookup: Lookup } | undefined },
): ReferenceDeps {
  return { providerUrl, allowPrivateUrls: deps.allowPrivateUrls, storage: deps.storage, lookup: deps.dialHooks?.lookup };
}

/** How long a shared reference stays fetchable: Jimeng keeps a task 12 hours. */
export const SHARED_REFERENCE_TTL_MS = 12 * 3_600_000;

export async function referencesFor(
  requestId: string,
  images: readonly SourceImage[],
  mode: ReferenceMode,
  provider: string,
  deps: ReferenceDeps,
): Promise<string[]> {
  const reach = new Reachability(deps);
  return Promise.all(
    images.map(async (image, i) => {
      if (image.url && (await reach.canFetch(image.url))) return image.url;
      if (mode === 'url_or_data') return `data:image/${image.format};base64,${image.data.toString('base64')}`;
      if (deps.storage) {
        const key = `outputs/${requestId}/ref-${i}.${image.format === 'png' ? 'png' : 'jpg'}`;
        const url = deps.storage.signedUrl(key, Date.now() + SHARED_REFERENCE_TTL_MS);
        if (await reach.canFetch(url)) {
          await deps.storage.put(key, image.data);
          return url;
        }
      }
      throw new EngineUnavailableError(
        `${provider} takes images only by URL, and image_urls[${i}] has none it can reach (a data URI, an upload or a private address), nor is this server's --public-url a public address to share it from`,
      );
    }),
  );
}

/** Whether the provider can fetch a URL; answers are kept for the request. */
class Reachability {
  private privateOk: Promise<boolean> | undefined;
  constructor(private readonly deps: ReferenceDeps) {}

  async canFetch(raw: string): Promise<boolean> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return false;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return false;
    const host = hostOf(url);
    if (isMetadataHostName(host)) return false;
    return (await isPublic(host, this.deps.lookup)) || this.privateReachable();
  }

  /** Private addresses are fine for a provider that lives among them, when the operator allows them. */
  private privateReachable(): Promise<boolean> {
    if (!this.deps.allowPrivateUrls) return Promise.resolve(false);
    this.privateOk ??= (async () => {
      try {
        return !(await isPublic(hostOf(new URL(this.deps.providerUrl)), this.deps.lookup));
      } catch {
        return false;
      }
    })();
    return this.privateOk;
  }
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Every address of the host is public; false when it has a private one or does not resolve. */
async function isPublic(host: string, lookup: Lookup = systemLookup): Promise<boolean> {
  if (isIP(host)) return forbiddenRange(host) === null;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name.endsWith('.internal') || name.endsWith('.local')) return false;
  try {
    const found = await lookup(name);
    return found.length > 0 && found.every((a) => forbiddenRange(a.address) === null);
  } catch {
    return false;
  }
}
