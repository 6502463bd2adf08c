/**
 * One SSE stream, from the handler's source to the connection. It is the sink every source
 * writes into: it sends the head at the right moment, encodes values, paces or bounds them,
 * keeps heartbeats, and ends exactly once — stopping the source and running CleanUp — whatever
 * ended it. One state: `pending` (nothing sent; a failure is still a status), `open`, `ended`.
 */
import type { CleanUp, SseEndReason } from '../cleanup/clean-up.js';
import type { SseConnection } from '../connection/sse-connection.js';
import { streamEndChannel, streamOpenChannel, type SseStreamEndMessage, type SseStreamOpenMessage } from '../diagnostics.js';
import { SseOverflowError } from '../errors.js';
import type { ResolvedStreamOptions } from '../sse-module-options.js';
import { SSE_ERROR_EVENT } from '../sse.constants.js';
import type { SourceSink, SseSource } from '../source/sse-source.js';
import { encodeComment, encodeFields, encodeRetry, encodeValue } from '../wire/encode-frame.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import type { SseEventInit } from '../wire/sse-event.js';
import { heartbeatSchedule, type HeartbeatSchedule, type HeartbeatTarget } from './heartbeat-schedule.js';
import { asError, errorLogLevel, isAbortOf, publicError } from './stream-errors.js';

export interface SseStreamLogger {
  error(message: string, stack?: string): void;
  warn(message: string): void;
  verbose(message: string): void;
}

export interface SseStreamInit {
  connection: SseConnection;
  cleanUp: CleanUp;
  options: ResolvedStreamOptions;
  /** `Controller.method`: with the connection's method and path it names the route in log lines (never the query string). */
  name: string;
  logger: SseStreamLogger;
  /** Called once when the stream ends; `errorBeforeHead` is a failure for the exception filters to answer. */
  /** Told when the head is out and when the stream ended (an object, not closures kept per stream). */
  owner: SseStreamOwner;
}

export interface SseStreamOwner {
  /** Once, when the head is out (the stream is open). */
  opened(stream: SseStream): void;
  /** Once, when the stream ends; `errorBeforeHead` is a failure for the exception filters to answer. */
  ended(stream: SseStream, reason: SseEndReason, errorBeforeHead: { error: unknown } | undefined): void;
}

type StreamState = 'pending' | 'open' | 'ended';

export class SseStream implements SourceSink, HeartbeatTarget {
  private state: StreamState = 'pending';
  private stopSource: (() => void) | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private heartbeat: HeartbeatSchedule | undefined;
  /** Bytes a frame larger than maxPendingBytes may add to the bound while it is being flushed. */
  private oversizeBytes = 0;
  lastActivityTick = 0;

  constructor(private readonly init: SseStreamInit) {
    init.connection.onClientGone(() => this.end('client-gone'));
  }

  get closed(): boolean {
    return this.state === 'ended';
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get connection(): SseConnection {
    return this.init.connection;
  }

  /** `Controller.method (GET /path)`: made when a message needs it, not kept per stream. */
  get route(): string {
    return `${this.init.name} (${this.init.connection.label})`;
  }

  /** Starts the source; a source returned after the stream ended is released without starting. */
  start(source: SseSource): void {
    if (this.state === 'ended') {
      source.discard();
      return;
    }
    let stop: () => void;
    try {
      stop = source.start(this);
    } catch (err) {
      this.error(err);
      return;
    }
    if (this.closed) this.runStop(stop);
    else this.stopSource = stop;
  }

  open(): void {
    if (this.state !== 'pending') return;
    this.clearHeadTimer();
    const { connection, options } = this.init;
    try {
      connection.sendHead();
    } catch (err) {
      this.end('error', { error: err });
      return;
    }
    this.state = 'open';
    this.init.owner.opened(this);
    if (streamOpenChannel.hasSubscribers) {
      streamOpenChannel.publish({ route: this.route, writer: connection.writer } satisfies SseStreamOpenMessage);
    }
    if (connection.isHead) {
      // Express and Fastify route HEAD to the GET handler: the head (status and SSE headers, what
      // GET would give) is the whole answer.
      this.end('complete');
      return;
    }
    if (options.retry !== undefined) connection.write(encodeRetry(options.retry));
    if (options.heartbeat !== false) {
      this.heartbeat = heartbeatSchedule(options.heartbeat);
      this.heartbeat.add(this);
    }
  }

  openOnFirstValue(): void {
    if (this.state !== 'pending' || this.headTimer) return;
    const waitMs = this.init.options.headWaitMs;
    if (waitMs <= 0) {
      this.open();
      return;
    }
    this.headTimer = setTimeout(() => {
      this.headTimer = undefined;
      this.open();
    }, waitMs);
  }

  noContent(): void {
    if (this.state !== 'pending') return;
    this.clearHeadTimer();
    this.init.connection.noContent();
    this.end('complete');
  }

  write(value: unknown): boolean {
    const frame = this.encode(value);
    if (frame !== undefined && this.isOpen) return this.send(frame);
    return this.state !== 'ended' && !this.init.connection.needsDrain;
  }

  drained(): Promise<boolean> {
    return this.init.connection.drained();
  }

  next(value: unknown): void {
    const frame = this.encode(value);
    if (frame === undefined || !this.isOpen) return;
    const max = this.init.options.maxPendingBytes;
    if (this.isBacklogged(max)) {
      const pending = this.init.connection.pendingBytes;
      this.init.logger.warn(`${this.route}: ${new SseOverflowError(pending, max).message}`);
      this.end('overflow');
      return;
    }
    this.send(frame);
    // A frame larger than the bound is still delivered: it widens the bound until it is out.
    const bytes = frameBytes(frame, max);
    if (bytes > max && bytes > this.oversizeBytes) this.oversizeBytes = bytes;
  }

  /** An error from the source or the handler: before the head a status, after it one safe error frame. */
  error(err: unknown): void {
    switch (this.state) {
      case 'ended':
        this.logLateError(err);
        return;
      case 'pending':
        this.end('error', { error: err });
        return;
      case 'open':
        this.logStreamError(err);
        this.init.connection.write(encodeFields({ event: SSE_ERROR_EVENT, data: JSON.stringify(publicError(err)) }));
        this.end('error');
    }
  }

  complete(): void {
    if (this.state === 'pending') this.open();
    if (this.state === 'open') this.end('complete');
  }

  /** App shutdown: the optional farewell, then a clean end; a stream not yet started is dropped (a network error, never a final status). */
  shutdown(farewell: SseEventInit | false | undefined): void {
    if (this.state === 'pending') {
      this.init.connection.destroy();
      this.end('shutdown');
      return;
    }
    if (this.state === 'open' && farewell) {
      try {
        this.init.connection.write(encodeFields(farewell, this.init.options.serializer));
      } catch (err) {
        this.logLateError(err);
      }
    }
    this.end('shutdown');
  }

  sendHeartbeat(): void {
    const { connection, options } = this.init;
    // Bytes still queued: the client is not idle, it is slow.
    if (connection.pendingBytes > 0) return;
    // One frame (and HTTP chunk) for every stream's heartbeats, not one per stream and beat.
    connection.writeShared(heartbeatFrame(options.heartbeatEvent), true);
  }

  /** Ends the stream once: connection, heartbeat, source, CleanUp, then whoever waits for the end. */
  end(reason: SseEndReason, errorBeforeHead?: { error: unknown }): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.clearHeadTimer();
    this.heartbeat?.delete(this);
    const { connection } = this.init;
    if (reason === 'overflow') connection.destroy();
    else connection.end(reason === 'shutdown');
    const stop = this.stopSource;
    this.stopSource = undefined;
    if (stop) this.runStop(stop);
    void this.init.cleanUp.run(reason);
    if (streamEndChannel.hasSubscribers) {
      streamEndChannel.publish({ route: this.route, reason, beforeHead: errorBeforeHead !== undefined } satisfies SseStreamEndMessage);
    }
    this.init.owner.ended(this, reason, errorBeforeHead);
  }

  /** The frame of a value; `undefined` for nothing to send, or when it cannot be encoded (then the stream fails). */
  private encode(value: unknown): string | Buffer | EncodedFrame | undefined {
    if (this.state === 'ended') return undefined;
    if (value instanceof EncodedFrame) {
      this.open();
      return value;
    }
    let frame: string | Buffer | undefined;
    try {
      frame = encodeValue(value, this.init.options.serializer);
    } catch (err) {
      this.error(err);
      return undefined;
    }
    // Encoded before the head: a first value that cannot be encoded is still a status.
    if (frame !== undefined) this.open();
    return frame;
  }

  private send(frame: string | Buffer | EncodedFrame): boolean {
    const { connection } = this.init;
    if (this.heartbeat) this.lastActivityTick = this.heartbeat.tick;
    return frame instanceof EncodedFrame ? connection.writeShared(frame) : connection.write(frame);
  }

  /** True when more than `max` bytes (plus an oversize frame's own room) already wait for this client. */
  private isBacklogged(max: number): boolean {
    const { connection } = this.init;
    // While the socket has not asked to wait, less than its high-water mark is queued.
    if (!connection.needsDrain && max >= connection.highWaterMark) return false;
    const pending = connection.pendingBytes;
    if (pending <= max) {
      this.oversizeBytes = 0;
      return false;
    }
    return pending > max + this.oversizeBytes;
  }

  private runStop(stop: () => void): void {
    try {
      stop();
    } catch (err) {
      this.logLateError(err);
    }
  }

  private clearHeadTimer(): void {
    if (this.headTimer === undefined) return;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  private logStreamError(err: unknown): void {
    const level = errorLogLevel(err);
    if (level === 'none') return;
    const error = asError(err);
    if (level === 'verbose') this.init.logger.verbose(`${this.route}: stream ended with ${error.name}: ${error.message}`);
    else this.init.logger.error(`${this.route}: stream failed: ${error.message}`, error.stack);
  }

  /**
   * After the end: the rejection of what the handler awaited on `cleanUp.signal` is our own abort,
   * not news (nothing is logged, as for any client that leaves); anything else is worth a warning.
   */
  private logLateError(err: unknown): void {
    const { cleanUp, logger } = this.init;
    const { route } = this;
    if (isAbortOf(err, cleanUp.reason) || errorLogLevel(err) !== 'error') return;
    logger.warn(`${route}: error after the stream ended (${cleanUp.reason ?? 'unknown'}): ${asError(err).message}`);
  }
}

const COMMENT_HEARTBEAT = EncodedFrame.fromText(encodeComment(), undefined, undefined);
const namedHeartbeats = new Map<string, EncodedFrame>();

/** The heartbeat frame: a comment, or an empty event of that name. */
function heartbeatFrame(event: string | undefined): EncodedFrame {
  if (event === undefined) return COMMENT_HEARTBEAT;
  let frame = namedHeartbeats.get(event);
  if (!frame) {
    frame = EncodedFrame.fromText(encodeFields({ event, data: '' }), undefined, undefined);
    namedHeartbeats.set(event, frame);
  }
  return frame;
}

/** A frame's size in bytes, or 0 for a string too short to exceed `max` (not measured: the common case). */
function frameBytes(frame: string | Buffer | EncodedFrame, max: number): number {
  if (frame instanceof EncodedFrame) return frame.bytes.length;
  if (typeof frame !== 'string') return frame.length;
  return frame.length * 3 > max ? Buffer.byteLength(frame) : 0;
}
