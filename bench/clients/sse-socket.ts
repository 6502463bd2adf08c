/**
 * One SSE client connection on a raw TCP socket, as cheap as possible so the client process is
 * never what limits a run: no HTTP parser past the status line, no frame objects. It counts
 * `data:` fields (one per event here, since every payload is one line of JSON; heartbeats are
 * comments) and, on sampled sockets, reads each event's `"t":` timestamp for latency. Chunked
 * transfer framing never splits a frame (every server writes a frame in one piece), so neither
 * token is ever cut by a chunk header.
 */
import net from 'node:net';
import { nowMs } from '../servers/bench-event.js';

const DATA_FIELD = Buffer.from('data:');
const TIMESTAMP_KEY = Buffer.from('"t":');
const HEAD_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = '\r\n0\r\n\r\n';

export interface SseSocketSink {
  /** Events received (all sockets of the process). */
  events: number;
  bytes: number;
  /** Publish-to-receive latencies in ms, from sampled sockets, while recording. */
  recordLatency(ms: number): void;
}

export interface SseSocketOptions {
  port: number;
  path: string;
  /** Parse the timestamp of every event on this socket. */
  sampleLatency: boolean;
  sink: SseSocketSink;
  /** Source address (127.x.y.z): one address has about 28,000 ephemeral ports towards one server port. */
  localAddress?: string;
}

/** True when `tail` ends with the first k bytes of `needle` and `head` starts with the rest, for some k. */
function straddles(tail: Buffer, head: Buffer, needle: Buffer): boolean {
  for (let k = 1; k < needle.length; k++) {
    if (tail.length < k || head.length < needle.length - k) continue;
    if (tail.compare(needle, 0, k, tail.length - k) === 0 && head.compare(needle, k, needle.length, 0, needle.length - k) === 0)
      return true;
  }
  return false;
}

function countOccurrences(buffer: Buffer, needle: Buffer): number {
  let count = 0;
  let at = buffer.indexOf(needle);
  while (at !== -1) {
    count++;
    at = buffer.indexOf(needle, at + needle.length);
  }
  return count;
}

const ZERO = 48;
const NINE = 57;
const DOT = 46;

export class SseSocket {
  readonly socket: net.Socket;
  /** Resolves with the status code once the response head arrived, or rejects. */
  readonly head: Promise<number>;
  /** Resolves when the response body ended (chunked terminator) or the socket closed. */
  readonly finished: Promise<'ended' | 'closed'>;
  status = 0;
  closedByServer = false;
  /** Parse the `"t":` timestamp of every event received on this socket (can change while open). */
  sampleLatency: boolean;
  private headBuffer: Buffer | undefined = Buffer.alloc(0);
  private previous: Buffer = Buffer.alloc(0);
  private pending: Buffer | undefined;
  private tailText = '';
  private closedByUs = false;
  private endedBody = false;

  constructor(private readonly options: SseSocketOptions) {
    this.sampleLatency = options.sampleLatency;
    const socket = net.connect({ port: options.port, host: '127.0.0.1', noDelay: true, localAddress: options.localAddress });
    this.socket = socket;
    let resolveHead!: (status: number) => void;
    let rejectHead!: (err: Error) => void;
    this.head = new Promise((resolve, reject) => {
      resolveHead = resolve;
      rejectHead = reject;
    });
    this.head.catch(() => undefined);
    let resolveFinished!: (how: 'ended' | 'closed') => void;
    this.finished = new Promise((resolve) => (resolveFinished = resolve));
    socket.on('connect', () => {
      socket.write(`GET ${options.path} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.headBuffer) {
        const all = this.headBuffer.length === 0 ? chunk : Buffer.concat([this.headBuffer, chunk]);
        const end = all.indexOf(HEAD_END);
        if (end === -1) {
          this.headBuffer = all;
          return;
        }
        this.headBuffer = undefined;
        this.status = Number(all.toString('latin1', 9, 12));
        resolveHead(this.status);
        const body = all.subarray(end + HEAD_END.length);
        if (body.length > 0) this.onBody(body, resolveFinished);
        return;
      }
      this.onBody(chunk, resolveFinished);
    });
    socket.on('error', (err) => rejectHead(err));
    socket.on('close', () => {
      if (!this.closedByUs && !this.endedBody) this.closedByServer = true;
      rejectHead(new Error('socket closed before the response head'));
      resolveFinished('closed');
    });
  }

  /** Closes the connection from the client side (what a closed browser tab does). */
  close(): void {
    this.closedByUs = true;
    this.socket.destroy();
  }

  private onBody(chunk: Buffer, resolveFinished: (how: 'ended') => void): void {
    const { sink } = this.options;
    sink.bytes += chunk.length;
    sink.events += countOccurrences(chunk, DATA_FIELD) + (straddles(this.previous, chunk, DATA_FIELD) ? 1 : 0);
    if (this.sampleLatency) this.readTimestamps(chunk);
    else this.pending = undefined;
    this.previous = chunk;
    // Only a body that ends has the terminator, and it is the last thing on the wire.
    this.tailText = (this.tailText + chunk.toString('latin1', Math.max(0, chunk.length - CHUNKED_END.length))).slice(-CHUNKED_END.length);
    if (this.tailText === CHUNKED_END) {
      this.endedBody = true;
      resolveFinished('ended');
    }
  }

  private readTimestamps(chunk: Buffer): void {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const receivedAt = nowMs();
    let consumed = 0;
    let at = buffer.indexOf(TIMESTAMP_KEY);
    while (at !== -1) {
      let i = at + TIMESTAMP_KEY.length;
      let value = 0;
      let scale = 0;
      for (; i < buffer.length; i++) {
        const c = buffer[i]!;
        if (c >= ZERO && c <= NINE) {
          value = value * 10 + (c - ZERO);
          if (scale) scale *= 10;
        } else if (c === DOT && !scale) scale = 1;
        else break;
      }
      if (i === buffer.length) break; // the number may continue in the next chunk
      this.options.sink.recordLatency(receivedAt - (scale ? value / scale : value));
      consumed = i;
      at = buffer.indexOf(TIMESTAMP_KEY, i);
    }
    const keepFrom = at !== -1 ? at : Math.max(consumed, buffer.length - (TIMESTAMP_KEY.length - 1));
    this.pending = keepFrom < buffer.length ? Buffer.from(buffer.subarray(keepFrom)) : undefined;
  }
}
