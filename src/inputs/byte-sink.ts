/**
 * A download's bytes in one growing buffer, so that the header probe can look at everything
 * received so far after each chunk without concatenating chunk lists again and again. Capacity
 * doubles (amortised linear copying) and never exceeds the limit it was given.
 */
export class ByteSink {
  private buf: Buffer;
  private used = 0;

  constructor(
    private readonly limit: number,
    initial = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(1, Math.min(initial, limit)));
  }

  get length(): number {
    return this.used;
  }

  /** Returns false, keeping nothing of the chunk, when it would take the total over the limit. */
  push(chunk: Buffer): boolean {
    const need = this.used + chunk.length;
    if (need > this.limit) return false;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.limit, Math.max(need, this.buf.length * 2)));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.used);
    this.used = need;
    return true;
  }

  /** Everything so far. Valid until the next push. */
  view(): Buffer {
    return this.buf.subarray(0, this.used);
  }

  /** The final bytes, copied to an exact-size buffer when the spare capacity is worth giving back. */
  take(): Buffer {
    const data = this.view();
    return this.buf.length - this.used > this.buf.length / 4 ? Buffer.from(data) : data;
  }
}
