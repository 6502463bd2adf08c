/**
 * HTTP/1.1 chunked framing of one SSE frame, for writing straight to the socket: one buffer
 * (size line, frame, CRLF) and one socket write per frame. A frame broadcast to many sockets is
 * framed once (cached by its frame object). Pure; no sockets here.
 */
const CRLF = Buffer.from('\r\n', 'latin1');
const shared = new WeakMap<object, Buffer>();

/** The chunk of a frame made for one stream. Never called with an empty frame (that chunk would end the body). */
export function httpChunk(frame: string | Buffer): string | Buffer {
  if (typeof frame === 'string') return `${Buffer.byteLength(frame, 'utf8').toString(16)}\r\n${frame}\r\n`;
  return Buffer.concat([Buffer.from(`${frame.length.toString(16)}\r\n`, 'latin1'), frame, CRLF]);
}

/**
 * The chunk of a frame written to many sockets: built once, then the same Buffer for each. Cached
 * by the frame object (an `EncodedFrame` made per broadcast), not its bytes, so a frame kept in
 * the hub's history does not keep its chunk too.
 */
export function sharedHttpChunk(frame: { readonly bytes: Buffer }): Buffer {
  let chunk = shared.get(frame);
  if (!chunk) {
    chunk = httpChunk(frame.bytes) as Buffer;
    shared.set(frame, chunk);
  }
  return chunk;
}
