/**
 * Bounds what a server can make the client buffer: bytes of the line being read and of the event
 * being assembled (since the last blank line). Counted on the raw bytes before they are decoded,
 * so an endless line without a newline is refused once it passes the limit, never held. CR and
 * LF are single bytes in UTF-8 (never inside a multi-byte character), so scanning bytes is exact.
 */
export class EventSizeGuard {
  private line = 0;
  private event = 0;
  /** The last byte seen was a CR: an LF right after it is the same line end. */
  private afterCr = false;

  constructor(readonly maxBytes: number) {}

  /**
   * Accounts for a chunk; returns where it went over the limit (the size reached, and the offset
   * in the chunk up to which it was within it), or `undefined` when all of it is.
   */
  push(chunk: Uint8Array): { size: number; within: number } | undefined {
    let pos = 0;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(10, pos);
      const cr = chunk.indexOf(13, pos);
      const next = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (next < 0) {
        this.afterCr = false;
        this.line += chunk.length - pos;
        this.event += chunk.length - pos;
        return this.over(pos);
      }
      const start = pos;
      const length = next - pos;
      pos = next + 1;
      if (length === 0 && chunk[next] === 10 && this.afterCr) {
        this.afterCr = false;
        continue;
      }
      this.afterCr = chunk[next] === 13;
      this.line += length;
      this.event += length + 1;
      const over = this.over(start);
      if (over !== undefined) return over;
      // A blank line dispatches the event: what comes next is a new one.
      if (this.line === 0) this.event = 0;
      this.line = 0;
    }
    return undefined;
  }

  /** `lineStart`: where the line that is being counted began in this chunk (what is before it is whole). */
  private over(lineStart: number): { size: number; within: number } | undefined {
    const size = Math.max(this.line, this.event);
    return size > this.maxBytes ? { size, within: lineStart } : undefined;
  }
}
