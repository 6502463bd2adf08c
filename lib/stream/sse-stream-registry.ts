/**
 * Every open stream of the app: admission (maxConnections -> 503, connectionsPerKey -> 429) and
 * graceful shutdown, so `app.close()` never waits on an open stream.
 */
import { HttpException, HttpStatus, Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import type { PlatformResponse } from '../connection/platform-response.js';
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type ResolvedStreamOptions,
  type SseModuleOptions,
} from '../sse-module-options.js';
import { SSE_MODULE_OPTIONS } from '../sse.constants.js';
import type { SseStream } from './sse-stream.js';

@Injectable()
export class SseStreamRegistry implements OnModuleDestroy {
  private readonly logger = new Logger('SseStream');
  private readonly streams = new Set<SseStream>();
  private readonly perKey = new Map<string, number>();
  private closing = false;

  constructor(@Optional() @Inject(SSE_MODULE_OPTIONS) private readonly options: SseModuleOptions = {}) {}

  /** True once the app shuts down: new streams are refused with a network error, not a status. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Open streams in this process (including ones whose handler is still setting up). */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Throws the HttpException that answers a request we cannot take, before any SSE byte is
   * written. Returns the limit key the stream counts against.
   */
  admit(request: unknown, platform: Pick<PlatformResponse, 'setHeader'>, options: ResolvedStreamOptions): string | undefined {
    const retryAfter = String(this.options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
    const max = this.options.maxConnections;
    if (max !== undefined && this.streams.size >= max) {
      platform.setHeader('Retry-After', retryAfter);
      throw new HttpException(`Too many open streams (maxConnections ${max}); reconnect later.`, HttpStatus.SERVICE_UNAVAILABLE);
    }
    const perKey = options.connectionsPerKey;
    if (!perKey) return undefined;
    const key = perKey.key(request);
    if (key === undefined || key === null) return undefined;
    if ((this.perKey.get(key) ?? 0) >= perKey.max) {
      platform.setHeader('Retry-After', retryAfter);
      throw new HttpException(`Too many open streams for this client (max ${perKey.max}).`, HttpStatus.TOO_MANY_REQUESTS);
    }
    return key;
  }

  /** Tracks a stream until `remove()`. */
  add(stream: SseStream, key: string | undefined): void {
    this.streams.add(stream);
    if (key !== undefined) this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
  }

  /** Forgets an ended stream. */
  remove(stream: SseStream, key: string | undefined): void {
    if (!this.streams.delete(stream) || key === undefined) return;
    const left = (this.perKey.get(key) ?? 1) - 1;
    if (left > 0) this.perKey.set(key, left);
    else this.perKey.delete(key);
  }

  /** Ends every stream (farewell first), waits up to the grace period for them to flush, then drops the rest. */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    const streams = [...this.streams];
    if (streams.length === 0) return;
    for (const stream of streams) stream.shutdown(this.options.farewell);
    const closed = streams.map((stream) => stream.connection.flushed());
    const graceMs = this.options.shutdownGracePeriod ?? DEFAULT_SHUTDOWN_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    const timedOut = await Promise.race([Promise.all(closed).then(() => false), expired]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn(`Shutdown: dropping the streams that did not flush within ${graceMs} ms.`);
      for (const stream of streams) stream.connection.destroy();
    }
  }
}
