/**
 * A frame serialized once and written as the same bytes to every socket that receives it: what
 * makes a broadcast to N clients cost one serialization. `value` is what was published, for
 * filters and for code that maps the stream.
 */
import { SseSerializationError } from '../errors.js';

const LF = 0x0a;
const CR = 0x0d;

/** @internal Passed by code that built the bytes from an encoded body itself (the hub's stores): no scan per delivery. */
export const TRUSTED_FRAME: unique symbol = Symbol('trusted frame');

export class EncodedFrame<T = unknown> {
  /** @internal Its HTTP/1.1 chunk, once a connection built it (shared by every socket it goes to). */
  chunk: Buffer | undefined = undefined;

  /**
   * @param bytes The complete frame: LF line endings, ending with a blank line (`\n\n`). Anything
   * else would merge with the next frame or end the chunked body, so it is refused here.
   * @throws SseSerializationError when `bytes` is not one whole frame.
   * @example new EncodedFrame(Buffer.from('event: tick\ndata: 1\n\n'), undefined, 1)
   */
  constructor(
    readonly bytes: Buffer,
    /** The id the frame carries, if any. */
    readonly id: string | undefined,
    /** The value the frame was made from. */
    readonly value: T,
    trusted?: typeof TRUSTED_FRAME,
  ) {
    if (trusted === TRUSTED_FRAME) return;
    if (!Buffer.isBuffer(bytes) || bytes.length < 2 || bytes[bytes.length - 1] !== LF || bytes[bytes.length - 2] !== LF) {
      throw new SseSerializationError(bytes, 'an EncodedFrame must be non-empty bytes that end with a blank line ("\\n\\n")');
    }
    if (bytes.indexOf(CR) !== -1) {
      throw new SseSerializationError(bytes, 'an EncodedFrame uses LF line endings only (a CR would split its lines differently)');
    }
  }

  static fromText<T>(text: string, id: string | undefined, value: T): EncodedFrame<T> {
    return new EncodedFrame(Buffer.from(text, 'utf8'), id, value);
  }
}
