/**
 * One open SSE stream: writes frames for a pull or push source through the connection, keeps
 * heartbeats, and ends exactly once — tearing down the source and running CleanUp — whatever
 * ended it (completion, client gone, error, overflow, shutdown).
 */
import { HttpException } from '@nestjs/common';
import type { CleanUp, SseEndReason } from '../cleanup/clean-up.js';
import { Heartbeat } from '../connection/heartbeat.js';
import type { SseConnection } from '../connection/sse-connection.js';
import type { ResolvedStreamOptions } from '../sse-module-options.js';
import { SSE_ERROR_EVENT } from '../sse.constants.js';
import { SseOverflowError } from '../errors.js';
import { encodeComment, encodeFields, encodeRetry, encodeValue } from '../wire/encode-frame.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import type { SseEventInit } from '../wire/sse-event.js';

export interface SseStreamLogger {
  error(message: string, stack?: string): void;
  warn(message: string): void;
}

export interface SseStreamInit {
  connection: SseConnection;
  cleanUp: CleanUp;
  options: ResolvedStreamOptions;
  /** `Controller.method` and URL, for log lines. */
  route: string;
  statusCode: number;
  logger: SseStreamLogger;
}

type State = 'pending' | 'open' | 'ended';

const GENERIC_ERROR_MESSAGE = 'Internal server error';

/** The message a client may see: an HttpException's own, never an internal error's. */
function publicError(err: unknown): { status: number; message: string } {
  if (err instanceof HttpException) return { status: err.getStatus(), message: err.message };
  return { status: 500, message: GENERIC_ERROR_MESSAGE };
}

export class SseStream {
  private state: State = 'pending';
  private heartbeat: Heartbeat | undefined;
  private sourceTeardown: (() => void) | undefined;
  private readonly endListeners: Array<(reason: SseEndReason) => void> = [];

  constructor(private readonly init: SseStreamInit) {
    init.connection.onClose(() => this.end(init.connection.clientGone ? 'client-gone' : 'complete'));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isEnded(): boolean {
    return this.state === 'ended';
  }

  get cleanUp(): CleanUp {
    return this.init.cleanUp;
  }

  get connection(): SseConnection {
    return this.init.connection;
  }

  /** Called once, when the stream ends. */
  onEnd(listener: (reason: SseEndReason) => void): void {
    if (this.state === 'ended') listener(this.init.cleanUp.reason ?? 'complete');
    else this.endListeners.push(listener);
  }

  /** How to stop the source (unsubscribe, iterator.return()); run once when the stream ends. */
  setSourceTeardown(teardown: () => void): void {
    if (this.state === 'ended') {
      this.runTeardown(teardown);
      return;
    }
    this.sourceTeardown = teardown;
  }

  /** Sends the head (and the `retry:` preamble) now. False when the client already left. */
  open(): boolean {
    if (this.state !== 'pending') return this.state === 'open';
    const { connection, options } = this.init;
    if (connection.clientGone || connection.isFinished) {
      this.end('client-gone');
      return false;
    }
    this.state = 'open';
    connection.open(this.init.statusCode);
    if (connection.isHead) {
      // Express and Fastify route HEAD to the GET handler: answer the head (status and SSE
      // headers, so a probe sees what GET would give) and end, rather than stream into nothing.
      this.end('complete');
      return false;
    }
    if (options.retry !== undefined) connection.write(encodeRetry(options.retry));
    if (options.heartbeat !== false) {
      const frame = options.heartbeatEvent ? encodeFields({ event: options.heartbeatEvent, data: '' }) : encodeComment();
      this.heartbeat = new Heartbeat(
        options.heartbeat,
        () => connection.write(frame),
        () => connection.pendingBytes > 0,
      );
      this.heartbeat.start();
    }
    return true;
  }

  /** 204 No Content for a `null` result. */
  noContent(): void {
    if (this.state !== 'pending') return;
    this.init.connection.noContent();
    this.end('complete');
  }

  /**
   * Writes one value as a frame (opening the stream first if needed). Returns whether the
   * stream is still open afterwards; a value that cannot be encoded ends it with an error.
   */
  write(value: unknown): boolean {
    if (this.state === 'pending' && !this.open()) return false;
    if (this.state !== 'open') return false;
    if (value instanceof EncodedFrame) {
      // Shared by every stream it is broadcast to: written as is.
      this.init.connection.writeShared(value.bytes);
      this.heartbeat?.touch();
      return true;
    }
    let frame: string | Buffer | undefined;
    try {
      frame = encodeValue(value, this.init.options.serializer);
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (frame === undefined) return true;
    this.init.connection.write(frame);
    this.heartbeat?.touch();
    return true;
  }

  /** A value from a push source: written now; past `maxPendingBytes` the client is dropped. */
  push(value: unknown): void {
    if (!this.write(value)) return;
    const max = this.init.options.maxPendingBytes;
    if (this.init.connection.hasPendingOver(max)) {
      const pending = this.init.connection.pendingBytes;
      this.init.logger.warn(`${this.init.route}: ${new SseOverflowError(pending, max).message}`);
      this.end('overflow');
    }
  }

  /**
   * Reads a pull source only while the socket accepts data. A generator blocked in an `await`
   * does not delay the end: `end()` runs teardown and CleanUp at once; this loop notices later.
   */
  async pull(iterator: AsyncIterator<unknown> | Iterator<unknown>): Promise<void> {
    this.setSourceTeardown(() => {
      const returned = iterator.return?.();
      if (returned && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(undefined, (err: unknown) => this.logLateError(err));
      }
    });
    if (!this.open()) return;
    const { connection } = this.init;
    try {
      while (this.state === 'open') {
        const step = await iterator.next();
        if (this.state !== 'open') return;
        if (step.done) {
          this.end('complete');
          return;
        }
        if (!this.write(step.value)) return;
        if (connection.needsDrain && !(await connection.waitForDrain())) return;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** An error from the source or the handler after the head was sent: one safe error frame, logged, clean end. */
  fail(err: unknown): void {
    if (this.state === 'ended') {
      this.logLateError(err);
      return;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    this.init.logger.error(`${this.init.route}: stream failed: ${error.message}`, error.stack);
    if (this.state === 'open') {
      const frame = encodeFields({ event: SSE_ERROR_EVENT, data: JSON.stringify(publicError(err)) });
      this.init.connection.write(frame);
    }
    this.end('error');
  }

  /** Ends for shutdown: optional farewell event, then a clean end. */
  shutdown(farewell: SseEventInit | false | undefined): void {
    if (this.state === 'open' && farewell) {
      try {
        this.init.connection.write(encodeFields(farewell, this.init.options.serializer));
      } catch (err) {
        this.logLateError(err);
      }
    }
    this.end('shutdown');
  }

  /** Ends the stream once: connection, heartbeat, source, CleanUp, listeners. */
  end(reason: SseEndReason): void {
    if (this.state === 'ended') return;
    const wasOpen = this.state === 'open';
    this.state = 'ended';
    this.heartbeat?.stop();
    const { connection } = this.init;
    if (reason === 'overflow') connection.destroy();
    else if (wasOpen) connection.end(reason === 'shutdown');
    const teardown = this.sourceTeardown;
    this.sourceTeardown = undefined;
    if (teardown) this.runTeardown(teardown);
    void this.init.cleanUp.run(reason);
    for (const listener of this.endListeners.splice(0)) listener(reason);
  }

  private runTeardown(teardown: () => void): void {
    try {
      teardown();
    } catch (err) {
      this.logLateError(err);
    }
  }

  private logLateError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.init.logger.error(`${this.init.route}: error after the stream ended: ${error.message}`, error.stack);
  }
}
