/**
 * The only code that writes to the raw response. Sends the SSE head, writes whole frames,
 * reports backpressure and notices the client leaving (from the response/socket, never from
 * the request body, which "closes" as soon as a POST body is read).
 */
import { ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { httpChunk, sharedHttpChunk } from './http-chunk.js';
import type { PlatformResponse } from './platform-response.js';

const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

export class SseConnection {
  private opened = false;
  private finished = false;
  private gone = false;
  private closed = false;
  /**
   * Set when frames go straight to the socket as HTTP chunks (see open()): Node's
   * `res.write()` costs several times more per frame, and on Express (whose responses each
   * get their own hidden class) more still.
   */
  private socket: Socket | undefined;
  private readonly closeListeners = new Set<() => void>();
  private readonly onResponseClose = (): void => {
    // 'close' after our own end() is the normal finish; before it, the client left.
    if (!this.finished) this.gone = true;
    this.finished = true;
    this.closed = true;
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
  };

  constructor(private readonly platform: PlatformResponse) {
    const { response } = platform;
    if (response.destroyed || response.socket?.destroyed) {
      this.gone = true;
      this.finished = true;
      this.closed = true;
    } else {
      response.once('close', this.onResponseClose);
    }
  }

  /** True once the client has gone (socket closed before the stream ended). */
  get clientGone(): boolean {
    return this.gone;
  }

  get isOpen(): boolean {
    return this.opened && !this.finished;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Bytes accepted by write() but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.socket ? this.socket.writableLength : this.platform.response.writableLength;
  }

  /**
   * True when more than `max` bytes wait for a client that does not read. While the socket has
   * not asked to wait, less than its high-water mark is buffered: no need to count.
   */
  hasPendingOver(max: number): boolean {
    const writable = this.socket ?? this.platform.response;
    if (!this.needsDrain && max >= writable.writableHighWaterMark) return false;
    return this.pendingBytes > max;
  }

  /** True when the socket asked the writer to wait for 'drain'. */
  get needsDrain(): boolean {
    return this.socket ? this.socket.writableNeedDrain : this.platform.response.writableNeedDrain;
  }

  /** A HEAD request: the head is the whole answer. */
  get isHead(): boolean {
    return this.platform.request.method === 'HEAD';
  }

  get requestHeaders() {
    return this.platform.request.headers;
  }

  /** True once the response has closed (flushed after our end, or the client left). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Called once when the response closes (client gone or finished). */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * Takes the response over and sends the head now, so `EventSource.onopen` fires without
   * waiting for the first event. Route status and headers are kept; ours win on conflict.
   */
  open(statusCode: number): void {
    if (this.opened || this.finished) return;
    this.opened = true;
    const { request, response } = this.platform;
    const routeHeaders = this.platform.routeHeaders();
    this.platform.takeOver();
    for (const [name, value] of Object.entries(routeHeaders)) {
      if (value !== undefined && !response.hasHeader(name)) response.setHeader(name, value);
    }
    // A length would end the stream early; a route-level encoding would be a lie.
    response.removeHeader('content-length');
    response.removeHeader('content-encoding');
    for (const [name, value] of Object.entries(SSE_HEADERS)) response.setHeader(name, value as string);
    // HTTP/1.1 only: HTTP/2 forbids the header, and an HTTP/1.0 body without a length ends with the connection.
    if (request.httpVersion === '1.1') response.setHeader('connection', 'keep-alive');
    response.socket?.setNoDelay?.(true);
    response.writeHead(statusCode);
    response.flushHeaders();
    this.socket = directSocket(response);
  }

  /** Writes one whole frame. Returns false when the socket wants the writer to wait for drain. */
  write(frame: string | Buffer): boolean {
    if (!this.isOpen) return false;
    if (this.socket) return this.writeDirect(this.socket, httpChunk(frame));
    return this.platform.response.write(frame);
  }

  /** Writes a frame that many streams write (a hub broadcast): its HTTP chunk is built once for all. */
  writeShared(frame: Buffer): boolean {
    if (!this.isOpen) return false;
    if (this.socket) return this.writeDirect(this.socket, sharedHttpChunk(frame));
    return this.platform.response.write(frame);
  }

  /** As Node does for `res.write()`: cork for the rest of the tick, so a burst becomes one writev. */
  private writeDirect(socket: Socket, chunk: string | Buffer): boolean {
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    return socket.write(chunk);
  }

  /** Resolves true once the socket drains, false if the response closes first. */
  waitForDrain(): Promise<boolean> {
    if (!this.isOpen) return Promise.resolve(false);
    if (!this.needsDrain) return Promise.resolve(true);
    // Direct writes fill the socket's buffer, and only the socket then says when it drained.
    const emitter = this.socket ?? this.platform.response;
    return new Promise((resolve) => {
      const done = (drained: boolean) => {
        emitter.off('drain', onDrain);
        removeClose();
        resolve(drained);
      };
      const onDrain = () => done(true);
      const removeClose = this.onClose(() => done(false));
      emitter.once('drain', onDrain);
    });
  }

  /**
   * Ends the response after what was written (a clean end of stream). With `closeSocket` (app
   * shutdown) the socket closes once the last bytes are out: a keep-alive client would otherwise
   * hold it open and `server.close()` would wait for the client's idle timeout.
   */
  end(closeSocket = false): void {
    if (this.finished) return;
    this.finished = true;
    const { response } = this.platform;
    if (closeSocket) response.once('finish', () => response.socket?.end());
    response.end();
  }

  /** Drops the connection at once (overflow, or a shutdown whose grace period ran out). */
  destroy(): void {
    this.finished = true;
    this.platform.response.destroy();
  }

  /** 204 No Content: tells an EventSource to stop reconnecting. */
  noContent(): void {
    if (this.opened || this.finished) return;
    this.opened = true;
    this.platform.takeOver();
    const { response } = this.platform;
    response.removeHeader('content-type');
    response.removeHeader('content-length');
    response.writeHead(204);
    this.finished = true;
    response.end();
  }

  /** Releases the listener on the response (after it closed). */
  dispose(): void {
    this.platform.response.off('close', this.onResponseClose);
    this.closeListeners.clear();
  }
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/**
 * The socket to write chunks to, when that is exactly what `res.write()` would do: a chunked
 * HTTP/1.1 body (not HEAD), head already on this socket, nothing queued in the response, and `write` not
 * replaced by a middleware (compression). Otherwise `undefined`: frames go through `res.write()`.
 * Reads long-standing Node internals defensively; if they change, the fallback is taken.
 */
function directSocket(response: ServerResponse): Socket | undefined {
  const internals = response as ServerResponse & { chunkedEncoding?: unknown; outputData?: unknown[]; _hasBody?: unknown };
  const socket = response.socket as (Socket & { _httpMessage?: unknown }) | null;
  if (!socket || socket.destroyed || !socket.writable) return undefined;
  // A HEAD response has no body: res.write() drops what we write, a socket would not.
  if (
    internals._hasBody !== true ||
    internals.chunkedEncoding !== true ||
    !Array.isArray(internals.outputData) ||
    internals.outputData.length > 0
  )
    return undefined;
  if (socket._httpMessage !== response || response.write !== ServerResponse.prototype.write) return undefined;
  return socket;
}
