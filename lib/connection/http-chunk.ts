/**
 * HTTP/1.1 chunked framing of one SSE frame, for writing straight to the socket: one buffer
 * (size line, frame, CRLF) and one socket write per frame. A frame broadcast to many sockets is
 * framed once (cached by its frame object). Pure; no sockets here.
 */

/** The chunk of a frame made for one stream. Never called with an empty frame (that chunk would end the body). */
export function httpChunk(frame: string | Buffer): string | Buffer {
  if (typeof frame === 'string') return `${Buffer.byteLength(frame, 'utf8').toString(16)}\r\n${frame}\r\n`;
  // One allocation: size line, frame, CRLF.
  const size = frame.length.toString(16);
  const chunk = Buffer.allocUnsafe(size.length + frame.length + 4);
  chunk.write(size, 0, 'latin1');
  let at = size.length;
  chunk[at++] = 0x0d;
  chunk[at++] = 0x0a;
  at += frame.copy(chunk, at);
  chunk[at++] = 0x0d;
  chunk[at] = 0x0a;
  return chunk;
}

/** A frame that can keep its chunk (an `EncodedFrame`). */
export interface ChunkableFrame {
  readonly bytes: Buffer;
  chunk?: Buffer | undefined;
}

/**
 * The chunk of a frame written to many sockets: built once, then the same Buffer for each. Kept
 * on the frame object (an `EncodedFrame` made per broadcast, dropped after it), not with its
 * bytes, so a frame kept in the hub's history does not keep its chunk too.
 */
export function sharedHttpChunk(frame: ChunkableFrame): Buffer {
  return (frame.chunk ??= httpChunk(frame.bytes) as Buffer);
}
