import { PublicError } from '../errors.js';
import type { InputPolicy } from './types.js';

/**
 * Why a source image was refused, as a stable machine code. Clients and tests match on these;
 * the wording of the message may improve, the codes do not change.
 */
export type ImageInputReason =
  // The file itself (the seed's rules and decodability).
  | 'unsupported_format'
  | 'empty'
  | 'too_large'
  | 'resolution'
  | 'aspect_ratio'
  | 'corrupt'
  // The URL, before anything is dialled.
  | 'bad_url'
  | 'url_too_long'
  | 'bad_scheme'
  | 'credentials_in_url'
  | 'host_not_allowed'
  | 'private_address'
  | 'bad_data_uri'
  // The download.
  | 'too_many_redirects'
  | 'timeout'
  | 'http_status'
  | 'unsupported_encoding'
  | 'unreachable';

/**
 * A reference image broke a rule. 422001 at submit time (uploads, data URIs checked early), or the
 * `error` of a failed request when found by the worker while fetching.
 *
 * The message names the image, the rule and what was found:
 * `image_urls[2]: The input image aspect ratio must be within [1/3, 3]. (found 3900x1000)`.
 * `rule` and `found` are kept apart so that a caller with another location (an upload, which has no
 * index) can word its own message without parsing this one. Neither ever holds a whole data URI or
 * a URL's credentials.
 */
export class ImageInputError extends PublicError {
  /** What was found instead, short and safe to show; absent when there is nothing to add. */
  readonly found: string | undefined;

  constructor(
    /** Position in `image_urls`. */
    readonly index: number,
    readonly reason: ImageInputReason,
    /** The rule, as one sentence; in the seed's exact words where the seed has them. */
    readonly rule: string,
    found?: string,
    options?: { cause?: unknown },
  ) {
    // `found` may quote a server (a header, a decoder): no control characters get through.
    // eslint-disable-next-line no-control-regex
    const shown = found?.replace(/[\u0000-\u001f\u007f]/g, '?');
    const msg = shown === undefined ? rule : `${rule} (found ${shown})`;
    super(422, 422001, `image_urls[${index}]: ${msg}`, [{ loc: ['body', 'image_urls', index], msg }], options);
    this.found = shown;
  }
}

/** The rules the seed does not word, worded once here. */
export const PRIVATE_RULE = 'The image URL must point to a public internet address.';
export const UNREACHABLE_RULE = 'The image URL could not be reached.';
export const HTTP_STATUS_RULE = 'The image URL must answer with HTTP 200.';
export const CORRUPT_RULE = 'The image file must be a complete, readable JPEG or PNG.';
export const URL_RULE = 'Each image must be an http(s) URL or a data URI.';

/** The four time limits of a download, each with its own sentence. */
export function timeoutError(
  index: number,
  phase: 'connect' | 'first_byte' | 'stall' | 'total',
  policy: InputPolicy,
  found?: string,
): ImageInputError {
  const s = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
  switch (phase) {
    case 'connect':
      return new ImageInputError(
        index,
        'timeout',
        `The image server must accept the connection within ${s(policy.connectTimeoutMs)}.`,
        found ?? 'no connection in time',
      );
    case 'first_byte':
      return new ImageInputError(
        index,
        'timeout',
        `The image server must start answering within ${s(policy.firstByteTimeoutMs)}.`,
        found ?? 'no answer in time',
      );
    case 'stall':
      return new ImageInputError(
        index,
        'timeout',
        `The image download must not stall for more than ${s(policy.firstByteTimeoutMs)}.`,
        found ?? 'a stalled download',
      );
    case 'total':
      return new ImageInputError(
        index,
        'timeout',
        `The image download must finish within ${s(policy.totalTimeoutMs)}.`,
        found ?? `still downloading after ${s(policy.totalTimeoutMs)}`,
      );
  }
}

