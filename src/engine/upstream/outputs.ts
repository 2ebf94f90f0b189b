/**
 * Brings a provider's outputs home as soon as its job ends (their links expire within hours):
 * each downloaded through the same guarded fetcher as the reference images (every hop and address
 * checked, size capped, type sniffed from the first bytes), then brought to exactly the requested
 * size by conformImage. The provider's links are kept only as redacted metadata for the operator.
 */
import { forbiddenRange } from '../../inputs/address.js';
import { systemLookup, type DialHooks } from '../../inputs/dial.js';
import { ImageInputError, type ImageInputReason } from '../../inputs/errors.js';
import { download } from '../../inputs/fetch.js';
import { defaultInputPolicy, MIB } from '../../inputs/policy.js';
import { sniff } from '../../inputs/sniff.js';
import type { InputPolicy } from '../../inputs/types.js';
import { redactUrl } from '../../inputs/url.js';
import { conformImage } from '../conform.js';
import type { OutputImage } from '../types.js';
import { UpstreamOutcomeError } from './errors.js';
import { sleep } from './retry.js';

export interface OutputFetchDeps {
  allowPrivateUrls: boolean;
  dialHooks?: DialHooks | undefined;
}

/** An image a provider made: a link to fetch, or the bytes themselves. */
export type UpstreamOutput = { url: string } | { data: Buffer };

export interface DeliveredOutput {
  image: OutputImage;
  /** Set when the image had to be scaled or cropped to the requested size. */
  warning?: string;
  /** The link it came from, without its query (which may carry a token), for the operator. */
  source?: string;
}

/** A 4K PNG with room to spare; the seed's 15 MB is a rule for inputs, not for what a provider makes. */
const OUTPUT_MAX_BYTES = 100 * MIB;
const DOWNLOAD_TRIES = 3;
/** Answers that mean the link is gone for good (expired signature, deleted object). */
const EXPIRED = new Set([401, 403, 404, 410]);

/**
 * Why an output could not be downloaded, in fixed words: the fetcher's own `found` names hosts,
 * addresses and redirect targets (the provider's CDN, its storage paths), which stay in the error's
 * cause for the operator and never reach the client.
 */
const DOWNLOAD_FAILURE: Partial<Record<ImageInputReason, string>> = {
  private_address: 'its link points at a private address, which retouch does not fetch',
  unreachable: 'the host of its link could not be reached',
  timeout: 'its download took too long',
  too_many_redirects: 'its link redirected too many times',
  too_large: `it is larger than ${OUTPUT_MAX_BYTES / MIB} MB`,
  unsupported_encoding: 'it was sent in a content encoding retouch does not take',
  corrupt: 'it arrived damaged',
  bad_url: 'its link is not a valid URL',
  url_too_long: 'its link is too long',
  bad_scheme: 'its link is not an http(s) link',
  credentials_in_url: 'its link carries credentials',
  host_not_allowed: 'its link points at a host retouch does not fetch from',
};

export function outputPolicy(allowPrivateUrls: boolean): InputPolicy {
  return {
    ...defaultInputPolicy(),
    allowPrivateUrls,
    allowedHosts: null,
    maxBytes: OUTPUT_MAX_BYTES,
    connectTimeoutMs: 10_000,
    firstByteTimeoutMs: 30_000,
    totalTimeoutMs: 120_000,
  };
}

/** Downloads one output, trying a link that failed for a passing reason (network, 5xx) again. */
export async function fetchOutput(url: string, index: number, provider: string, deps: OutputFetchDeps, signal: AbortSignal): Promise<Buffer> {
  const policy = outputPolicy(deps.allowPrivateUrls);
  const hooks = deps.dialHooks ?? { lookup: systemLookup, addressRule: forbiddenRange };
  for (let attempt = 1; ; attempt++) {
    try {
      return await download(url, index, policy, { ...hooks, signal, inspect: refuseNonImages });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const failure = explain(err, provider, index);
      if (failure.final || attempt >= DOWNLOAD_TRIES) throw failure.error;
      await sleep(500 * attempt, signal);
    }
  }
}

/**
 * Downloads (at most four at once) and conforms every output, in order. The first failure fails the
 * request, so it also stops the other downloads at once rather than let them run to their timeouts.
 */
export async function deliverOutputs(
  outputs: readonly UpstreamOutput[],
  size: { width: number; height: number },
  provider: string,
  deps: OutputFetchDeps,
  signal: AbortSignal,
  /** Called as each output is stored in memory, for progress. */
  onEach?: (done: number) => void,
): Promise<DeliveredOutput[]> {
  const delivered: DeliveredOutput[] = new Array<DeliveredOutput>(outputs.length);
  const failed = new AbortController();
  const lanes = AbortSignal.any([signal, failed.signal]);
  let next = 0;
  let done = 0;
  const lane = async () => {
    try {
      while (next < outputs.length) {
        lanes.throwIfAborted();
        const i = next++;
        delivered[i] = await deliverOne(outputs[i]!, i, size, provider, deps, lanes);
        onEach?.(++done);
      }
    } catch (err) {
      failed.abort(err);
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, outputs.length) }, lane));
  return delivered;
}

export async function deliverOne(
  output: UpstreamOutput,
  index: number,
  size: { width: number; height: number },
  provider: string,
  deps: OutputFetchDeps,
  signal: AbortSignal,
): Promise<DeliveredOutput> {
  const data = 'data' in output ? output.data : await fetchOutput(output.url, index, provider, deps, signal);
  if ('data' in output) refuseNonImages(data, true, provider, index);
  const conformed = await conformImage(data, size.width, size.height, provider, { thumbnail: index === 0 });
  return {
    image: conformed.image,
    ...(conformed.warning && { warning: conformed.warning }),
    ...('url' in output && { source: redactUrl(output.url, 300) }),
  };
}

class NotAnImage extends Error {}

function refuseNonImages(received: Buffer, complete = false, provider?: string, index?: number): void {
  const s = sniff(received, complete);
  if (s.kind === 'jpeg' || s.kind === 'png' || s.kind === 'need_more') return;
  if (s.kind === 'other' && s.name === 'WebP') return;
  const found = s.kind === 'other' ? s.name : s.kind === 'empty' ? 'an empty file' : 'a truncated image';
  const err = new NotAnImage(found);
  if (provider !== undefined) throw new UpstreamOutcomeError('upstream_failed', `${provider} returned output ${(index ?? 0) + 1} as ${found}, not an image.`, { cause: err });
  throw err;
}

function explain(err: unknown, provider: string, index: number): { error: unknown; final: boolean } {
  const n = index + 1;
  if (err instanceof NotAnImage || (err instanceof ImageInputError && err.cause instanceof NotAnImage)) {
    const found = (err instanceof NotAnImage ? err : (err.cause as NotAnImage)).message;
    return { final: true, error: new UpstreamOutcomeError('upstream_failed', `${provider} returned output ${n} as ${found}, not an image.`, { cause: err }) };
  }
  if (!(err instanceof ImageInputError)) return { final: true, error: err };
  const status = /HTTP (\d{3})/.exec(err.found ?? '')?.[1];
  if (err.reason === 'http_status' && status && EXPIRED.has(Number(status))) {
    return {
      final: true,
      error: new UpstreamOutcomeError(
        'output_expired',
        `${provider} made the image, but its link had expired or been removed (HTTP ${status}) before retouch could download output ${n}. The provider's job was not run again.`,
        { cause: err },
      ),
    };
  }
  const passing = err.reason === 'unreachable' || err.reason === 'timeout' || (err.reason === 'http_status' && Number(status) >= 500);
  const what = err.reason === 'http_status' && status ? `its link answered HTTP ${status}` : (DOWNLOAD_FAILURE[err.reason] ?? 'its link could not be fetched');
  return { final: !passing, error: new UpstreamOutcomeError('upstream_failed', `${provider} made output ${n}, but it could not be downloaded: ${what}.`, { cause: err }) };
}
