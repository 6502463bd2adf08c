/**
 * The only code that writes to the raw response. Sends the SSE head, writes whole frames,
 * reports backpressure and notices the client leaving (from the response/socket, never from
 * the request body, which "closes" as soon as a POST body is read).
 */
import type { OutgoingHttpHeaders } from 'node:http';
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
    return this.platform.response.writableLength;
  }

  /** True when the socket asked the writer to wait for 'drain'. */
  get needsDrain(): boolean {
    return this.platform.response.writableNeedDrain;
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
    if (request.httpVersionMajor === 1) response.setHeader('connection', 'keep-alive');
    response.socket?.setNoDelay?.(true);
    response.writeHead(statusCode);
    response.flushHeaders();
  }

  /** Writes one whole frame. Returns false when the socket wants the writer to wait for drain. */
  write(frame: string | Buffer): boolean {
    if (!this.isOpen) return false;
    return this.platform.response.write(frame);
  }

  /** Resolves true once the socket drains, false if the response closes first. */
  waitForDrain(): Promise<boolean> {
    const { response } = this.platform;
    if (!this.isOpen) return Promise.resolve(false);
    if (!response.writableNeedDrain) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (drained: boolean) => {
        response.off('drain', onDrain);
        removeClose();
        resolve(drained);
      };
      const onDrain = () => done(true);
      const removeClose = this.onClose(() => done(false));
      response.once('drain', onDrain);
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
