/**
 * A frame serialized once and written as the same bytes to every socket that receives it: what
 * makes a broadcast to N clients cost one serialization. `value` is what was published, for
 * filters and for code that maps the stream.
 */
export class EncodedFrame<T = unknown> {
  constructor(
    /** The complete frame, ending with a blank line. */
    readonly bytes: Buffer,
    /** The id the frame carries, if any. */
    readonly id: string | undefined,
    /** The value the frame was made from. */
    readonly value: T,
  ) {}

  static fromText<T>(text: string, id: string | undefined, value: T): EncodedFrame<T> {
    return new EncodedFrame(Buffer.from(text, 'utf8'), id, value);
  }
}
