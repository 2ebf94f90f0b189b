/** A reference image that has passed every rule: its bytes, sniffed format and displayed size. */
export interface SourceImage {
  /** Position in `image_urls`. */
  index: number;
  data: Buffer;
  /** From the magic bytes, never from headers or names. */
  format: 'jpeg' | 'png';
  /** As displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  /**
   * The http(s) address it was fetched from, for engines whose provider fetches public URLs itself;
   * absent for data: URIs and uploads, which only retouch can read.
   */
  url?: string;
}

/** The rules every source obeys; defaults in inputs/policy.ts. */
export interface InputPolicy {
  /** Lift the address rule (loopback, private, link-local, …) for local use. */
  allowPrivateUrls: boolean;
  /** When set, only these host names or patterns ("*.example.com") may be fetched. */
  allowedHosts: string[] | null;
  /** The seed's 15 MB per image. */
  maxBytes: number;
  /** The seed's 4096 pixels per side. */
  maxSide: number;
  /** The seed's aspect-ratio bounds, width/height within [minAspect, maxAspect]. */
  minAspect: number;
  maxAspect: number;
  maxRedirects: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  totalTimeoutMs: number;
  /** Downloads of one request in flight at once. */
  concurrency: number;
}

/**
 * Reads a URL that points at retouch's own storage (an upload) without an HTTP round trip.
 * Returns undefined when the URL is not one of ours.
 */
export type LocalSourceReader = (url: string) => Promise<Buffer> | undefined;
