/**
 * All the sources of one request: each from retouch's own storage, a data URI or the network,
 * checked by the same rules; at most `policy.concurrency` at a time; the first refusal rejects at
 * once and aborts the downloads still running (their own errors are then dropped).
 */
import { PublicError } from '../errors.js';
import { forbiddenRange, type ForbiddenAddress } from './address.js';
import { checkImage, HeaderGate, verifyImage } from './check.js';
import { decodeDataUri, isDataUri } from './data-uri.js';
import { systemLookup, type Lookup } from './dial.js';
import { ImageInputError, URL_RULE } from './errors.js';
import { download } from './fetch.js';
import type { InputPolicy, LocalSourceReader, SourceImage } from './types.js';

export type { Lookup, LookupAddress } from './dial.js';

export interface LoadOptions {
  /** Aborting it stops every download; loadImages then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Reads URLs of retouch's own storage (uploads) directly: asked first for every URL; when it
   * returns a promise, that is the file (no HTTP, no address rule), checked by the file rules.
   */
  localSource?: LocalSourceReader;
  /** Name resolution, `(hostname) => Promise<{address, family}[]>`; the system resolver by default. */
  lookup?: Lookup;
  /**
   * Called with the exact address and port about to be dialled, after every check; throwing stops
   * that dial with the thrown error (which is not turned into a refusal). For tests and audit logs.
   */
  beforeConnect?: (address: string, port: number) => void;
  /**
   * The address rule (`forbiddenRange` by default). For tests only, which exempt the loopback
   * address of their own server to exercise the rule everywhere else: production leaves it unset.
   */
  addressRule?: (address: string) => ForbiddenAddress | null;
}

export async function loadImages(
  urls: string[],
  policy: InputPolicy,
  opts: LoadOptions = {},
): Promise<SourceImage[]> {
  const outer = opts.signal;
  if (outer?.aborted) throw outer.reason;
  if (urls.length === 0) return [];
  const controller = new AbortController();
  const results: SourceImage[] = new Array<SourceImage>(urls.length);

  return new Promise<SourceImage[]>((resolve, reject) => {
    let settled = false;
    let next = 0;
    let running = 0;
    const onOuterAbort = () => fail(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });

    function settle(): void {
      settled = true;
      outer?.removeEventListener('abort', onOuterAbort);
    }
    function fail(err: unknown): void {
      if (settled) return;
      settle();
      controller.abort(new Error('another source of this request was refused'));
      reject(err);
    }
    function pump(): void {
      while (!settled && running < policy.concurrency && next < urls.length) {
        const index = next++;
        running++;
        loadOne(urls[index], index, policy, opts, controller.signal).then(
          (image) => {
            running--;
            results[index] = image;
            if (next >= urls.length && running === 0 && !settled) {
              settle();
              resolve(results);
            } else {
              pump();
            }
          },
          (err: unknown) => {
            running--;
            fail(err);
          },
        );
      }
    }
    pump();
  });
}

async function loadOne(
  raw: unknown,
  index: number,
  policy: InputPolicy,
  opts: LoadOptions,
  signal: AbortSignal,
): Promise<SourceImage> {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new ImageInputError(index, 'bad_url', URL_RULE, 'an empty value');
  }
  const local = readLocal(raw, index, opts.localSource);
  if (local) return checkImage(await local, index, policy);
  if (isDataUri(raw)) return checkImage(decodeDataUri(raw, index, policy), index, policy);

  const gate = new HeaderGate(index, policy);
  const data = await download(raw, index, policy, {
    signal,
    lookup: opts.lookup ?? systemLookup,
    addressRule: opts.addressRule ?? forbiddenRange,
    beforeConnect: opts.beforeConnect,
    inspect: (received) => gate.feed(received),
  });
  const header = gate.finish(data);
  if (signal.aborted) throw signal.reason;
  return { ...(await verifyImage(data, header, index, policy)), url: raw };
}

/** The reader's failures become refusals of this image; its own public message is kept. */
function readLocal(raw: string, index: number, reader: LocalSourceReader | undefined): Promise<Buffer> | undefined {
  if (!reader) return undefined;
  const wrap = (err: unknown): never => {
    if (err instanceof ImageInputError) throw err;
    const found = err instanceof PublicError ? err.message.slice(0, 200) : undefined;
    throw new ImageInputError(index, 'unreachable', 'The uploaded file could not be read.', found, { cause: err });
  };
  try {
    return reader(raw)?.catch(wrap);
  } catch (err) {
    return Promise.reject(err).catch(wrap);
  }
}
