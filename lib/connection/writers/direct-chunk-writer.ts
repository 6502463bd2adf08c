/**
 * Frames as HTTP/1.1 chunks written straight to the socket: one write per frame where
 * `res.write()` makes three, and a broadcast frame's chunk built once for every socket. Only
 * used where it is exactly what `res.write()` would put on the wire (see canWriteChunksDirectly).
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { httpChunk, sharedHttpChunk, type ChunkableFrame } from '../http-chunk.js';
import type { FrameWriter } from './frame-writer.js';

/**
 * True when the response, whose head was just sent, has a chunked HTTP/1.1 body written by
 * nothing but Node: HTTP/1.1, not HEAD, a status with a body, no length or transfer-encoding
 * of the route's, `write` not replaced (compression), and the response is the one its socket
 * is sending (a pipelined response still queued has no socket yet).
 */
export function canWriteChunksDirectly(request: IncomingMessage, response: ServerResponse): boolean {
  const socket = response.socket;
  return (
    request.httpVersionMajor === 1 &&
    request.httpVersionMinor === 1 &&
    request.method !== 'HEAD' &&
    response.statusCode >= 200 &&
    response.statusCode !== 204 &&
    response.statusCode !== 304 &&
    !response.hasHeader('content-length') &&
    !response.hasHeader('transfer-encoding') &&
    response.write === ServerResponse.prototype.write &&
    socket !== null &&
    !socket.destroyed &&
    socket.writable
  );
}

function uncork(socket: Socket): void {
  socket.uncork();
}

export class DirectChunkWriter implements FrameWriter {
  readonly name = 'direct-chunks' as const;

  constructor(private readonly socket: Socket) {}

  write(frame: string | Buffer): boolean {
    // An empty chunk would end the chunked body.
    if (frame.length === 0) return !this.socket.writableNeedDrain;
    return this.writeChunk(httpChunk(frame));
  }

  writeShared(frame: ChunkableFrame, alone = false): boolean {
    if (frame.bytes.length === 0) return !this.socket.writableNeedDrain;
    const chunk = sharedHttpChunk(frame);
    // A heartbeat goes out on its own: corking it would only add a callback per socket and beat.
    return alone && this.socket.writableCorked === 0 ? this.socket.write(chunk) : this.writeChunk(chunk);
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  get highWaterMark(): number {
    return this.socket.writableHighWaterMark;
  }

  get drainEmitter(): Socket {
    return this.socket;
  }

  /** As Node does for `res.write()`: cork for the rest of the tick, so a burst becomes one writev. */
  private writeChunk(chunk: string | Buffer): boolean {
    const { socket } = this;
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    return socket.write(chunk);
  }
}
