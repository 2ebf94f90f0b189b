/**
 * All the sources of one request: each from retouch's own storage, a data URI or the network,
 * checked by the same rules; at most `policy.concurrency` at a time. A refusal stops what comes
 * after it and names the first refused source in the client's order: earlier sources still loading
 * get a short grace to settle (EARLIER_SOURCES_GRACE_MS), later ones are aborted.
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

/**
 * When a source is refused, sources before it that are still loading get this long to settle, so
 * that the error names the first bad image in the order the client gave them, not the fastest.
 */
export const EARLIER_SOURCES_GRACE_MS = 2_000;

export async function loadImages(
  urls: string[],
  policy: InputPolicy,
  opts: LoadOptions = {},
): Promise<SourceImage[]> {
  const outer = opts.signal;
  if (outer?.aborted) throw outer.reason;
  if (urls.length === 0) return [];
  const results: SourceImage[] = new Array<SourceImage>(urls.length);
  const running = new Map<number, AbortController>();

  return new Promise<SourceImage[]>((resolve, reject) => {
    let settled = false;
    let next = 0;
    /** The refused source with the lowest index so far. */
    let refused: { index: number; err: unknown } | undefined;
    let grace: NodeJS.Timeout | undefined;
    const onOuterAbort = () => finish(() => reject(outer?.reason));
    outer?.addEventListener('abort', onOuterAbort, { once: true });

    function finish(answer: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      outer?.removeEventListener('abort', onOuterAbort);
      for (const c of running.values()) c.abort(new Error('another source of this request was refused'));
      answer();
    }
    function refuse(index: number, err: unknown): void {
      if (refused && refused.index < index) return;
      refused = { index, err };
      // Later sources no longer matter; earlier ones might be refused too, and would be named first.
      for (const [i, c] of running) if (i > index) c.abort(new Error('another source of this request was refused'));
      clearTimeout(grace);
      grace = setTimeout(() => finish(() => reject(refused!.err)), EARLIER_SOURCES_GRACE_MS);
    }
    function check(): void {
      if (settled) return;
      if (refused) {
        const first = refused;
        if ([...running.keys()].every((i) => i > first.index)) finish(() => reject(first.err));
      } else if (next >= urls.length && running.size === 0) {
        finish(() => resolve(results));
      }
    }
    function pump(): void {
      while (!settled && running.size < policy.concurrency && next < urls.length && !refused) {
        const index = next++;
        const controller = new AbortController();
        running.set(index, controller);
        loadOne(urls[index], index, policy, opts, controller.signal).then(
          (image) => {
            running.delete(index);
            results[index] = image;
            check();
            pump();
          },
          (err: unknown) => {
            running.delete(index);
            // A source cut because a later one was refused has nothing to say.
            if (!controller.signal.aborted || !refused) refuse(index, err);
            check();
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
