/**
 * SseConnection on Node's HTTP server (HTTP/1 and the HTTP/2 compatibility API), for Express and
 * Fastify alike through their PlatformResponse adapter. The client leaving is read from the
 * socket (HTTP/1) or the response (HTTP/2), never from the request, which "closes" as soon as a
 * POST body is read.
 */
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { SseHeadError } from '../errors.js';
import type { PlatformResponse } from './platform-response.js';
import type { SseConnection } from './sse-connection.js';
import { canWriteChunksDirectly, DirectChunkWriter } from './writers/direct-chunk-writer.js';
import type { FrameWriter, SseWriterName } from './writers/frame-writer.js';
import { ResponseWriter } from './writers/response-writer.js';
import type { ChunkableFrame } from './http-chunk.js';

const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** `waiting`: the response is still the framework's; `streaming`: ours; `done`: ended by us; `gone`: the client left. */
type ConnectionState = 'waiting' | 'streaming' | 'done' | 'gone';

interface CloseSource {
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

export class NodeHttpConnection implements SseConnection {
  private state: ConnectionState = 'waiting';
  private frameWriter: FrameWriter | undefined;
  private goneListener: (() => void) | undefined;
  private drainWaiters: Array<(drained: boolean) => void> | undefined;
  private readonly closeSource: CloseSource;
  private readonly onClose = (): void => {
    if (this.state === 'done' || this.state === 'gone') return;
    this.state = 'gone';
    this.settleDrainWaiters(false);
    this.goneListener?.();
  };

  constructor(private readonly platform: PlatformResponse) {
    const { request, response } = platform;
    // HTTP/1: the socket, which also closes for a pipelined response still queued behind another.
    // HTTP/2: the response (the socket is the whole session's).
    this.closeSource = request.httpVersionMajor === 1 && request.socket ? request.socket : response;
    if (this.closeSource.destroyed || response.destroyed) this.state = 'gone';
    else this.closeSource.once('close', this.onClose);
  }

  get isHead(): boolean {
    return this.platform.request.method === 'HEAD';
  }

  get label(): string {
    const { request } = this.platform;
    const url = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '';
    const query = url.indexOf('?');
    return `${request.method} ${query === -1 ? url : url.slice(0, query)}`;
  }

  get clientGone(): boolean {
    return this.state === 'gone' || (this.state !== 'done' && this.closeSource.destroyed);
  }

  get writer(): SseWriterName | undefined {
    return this.frameWriter?.name;
  }

  onClientGone(listener: () => void): void {
    this.goneListener = listener;
    if (this.state === 'gone') queueMicrotask(listener);
  }

  sendHead(): void {
    if (this.state !== 'waiting') return;
    const { platform } = this;
    const { request, response } = platform;
    const routeHeaders = platform.routeHeaders();
    const status = platform.statusCode();
    // Checked while the response is still the framework's: its exception filter can then answer.
    this.checkHead(status, routeHeaders);
    platform.takeOver();
    // Handed to writeHead() as one object: when the response holds no headers of its own
    // (Fastify keeps them on the reply), Node sends it without storing a copy per stream.
    const head: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(routeHeaders)) {
      if (value !== undefined && !response.hasHeader(name)) head[name.toLowerCase()] = value;
    }
    // A length would end the stream early; a route-level encoding would be a lie.
    delete head['content-length'];
    delete head['content-encoding'];
    if (response.hasHeader('content-length')) response.removeHeader('content-length');
    if (response.hasHeader('content-encoding')) response.removeHeader('content-encoding');
    Object.assign(head, SSE_HEADERS);
    // HTTP/1.1 only: HTTP/2 forbids the header, and an HTTP/1.0 body without a length ends with the connection.
    if (request.httpVersion === '1.1') head.connection = 'keep-alive';
    if (request.httpVersionMajor === 1) (response.socket as Socket | null)?.setNoDelay(true);
    response.writeHead(status, head);
    response.flushHeaders();
    this.state = 'streaming';
    const socket = response.socket as Socket | null;
    const routeEncoding = head['transfer-encoding'] !== undefined;
    this.frameWriter =
      socket && !routeEncoding && canWriteChunksDirectly(request, response) ? new DirectChunkWriter(socket) : new ResponseWriter(response);
  }

  noContent(): void {
    if (this.state !== 'waiting') return;
    this.platform.takeOver();
    const { response } = this.platform;
    response.removeHeader('content-type');
    response.removeHeader('content-length');
    response.writeHead(204);
    this.finish();
    response.end();
  }

  write(frame: string | Buffer): boolean {
    if (this.state !== 'streaming') return false;
    return this.frameWriter!.write(frame);
  }

  writeShared(frame: ChunkableFrame, alone?: boolean): boolean {
    if (this.state !== 'streaming') return false;
    return this.frameWriter!.writeShared(frame, alone);
  }

  get pendingBytes(): number {
    return this.frameWriter?.pendingBytes ?? 0;
  }

  get needsDrain(): boolean {
    return this.frameWriter?.needsDrain ?? false;
  }

  get highWaterMark(): number {
    return this.frameWriter?.highWaterMark ?? 0;
  }

  drained(): Promise<boolean> {
    if (this.state !== 'streaming') return Promise.resolve(false);
    if (!this.frameWriter!.needsDrain) return Promise.resolve(true);
    return new Promise((resolve) => {
      if (!this.drainWaiters) {
        this.drainWaiters = [];
        this.onDrain ??= () => this.settleDrainWaiters(true);
        this.frameWriter!.drainEmitter.once('drain', this.onDrain);
      }
      this.drainWaiters.push(resolve);
    });
  }

  end(closeSocket: boolean): void {
    const wasStreaming = this.state === 'streaming';
    if (!this.finish() || !wasStreaming) return;
    const { response } = this.platform;
    if (closeSocket && this.platform.request.httpVersionMajor === 1) {
      // A keep-alive client would otherwise hold the socket, and server.close() would wait for it.
      response.once('finish', () => response.socket?.end());
    }
    response.end();
  }

  destroy(): void {
    if (this.state === 'gone') return;
    this.finish();
    this.platform.response.destroy();
  }

  flushed(): Promise<void> {
    const { response } = this.platform;
    if (this.state === 'gone' || response.destroyed || response.writableFinished) return Promise.resolve();
    return new Promise((resolve) => {
      response.once('close', () => resolve());
    });
  }

  /** Moves to `done` unless the client already left; stops listening for close. False when already finished. */
  private finish(): boolean {
    if (this.state === 'done' || this.state === 'gone') return false;
    // Closed, and our listener not called yet (another 'close' listener got there first).
    this.state = this.closeSource.destroyed ? 'gone' : 'done';
    this.closeSource.off('close', this.onClose);
    this.settleDrainWaiters(false);
    return true;
  }

  /** Made on the first wait: most streams never wait for a drain. */
  private onDrain: (() => void) | undefined;

  private settleDrainWaiters(drained: boolean): void {
    const waiters = this.drainWaiters;
    if (!waiters) return;
    this.drainWaiters = undefined;
    if (!drained && this.onDrain) this.frameWriter?.drainEmitter.off('drain', this.onDrain);
    for (const resolve of waiters) resolve(drained);
  }

  /** Node refuses these in writeHead(); refused here first, the route's bad header removed so the error answer can go out. */
  private checkHead(status: number, routeHeaders: OutgoingHttpHeaders): void {
    if (!Number.isInteger(status) || status < 200 || status > 999) {
      this.platform.setStatusCode(500);
      throw new SseHeadError(`status ${status}`, 'an SSE response needs a status from 200 to 999');
    }
    for (const [name, value] of Object.entries(routeHeaders)) {
      if (value === undefined) continue;
      try {
        validateHeaderName(name);
        validateHeaderValue(name, value as string);
      } catch (err) {
        this.platform.removeRouteHeader(name);
        throw new SseHeadError(`header ${JSON.stringify(name)}`, (err as Error).message);
      }
    }
  }
}
