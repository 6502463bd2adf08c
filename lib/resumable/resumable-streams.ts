/**
 * Detached producers by key (in memory): `start` runs a producer that outlives any request,
 * `resume` follows it from a Last-Event-ID, `stop` aborts it. A finished stream stays
 * resumable for its ttl, then its recording is released.
 */
import { Logger } from '@nestjs/common';
import { Subscription } from 'rxjs';
import type { HubSource } from '../hub/hub-source.js';
import { resolveSource } from '../source/resolve-source.js';
import type { SseSerializer } from '../wire/encode-frame.js';
import { RecordedStream } from './recorded-stream.js';

/** A producer: gets a signal aborted by `stopStream()`; returns an async iterable or an Observable (or a Promise of one). */
export type StreamProducer = (signal: AbortSignal) => unknown;

export interface StartStreamOptions {
  /** How long (ms) a finished stream stays resumable. Default 300000 (5 minutes). */
  ttl?: number;
}

export interface ResumeStreamOptions {
  /** The Last-Event-ID the client brings (`@LastEventId()`). */
  lastEventId?: string;
}

export const DEFAULT_STREAM_TTL_MS = 5 * 60 * 1000;

export class ResumableStreams {
  private readonly logger = new Logger('SseHub');
  private readonly streams = new Map<string, RecordedStream>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();

  constructor(private readonly serializer: SseSerializer) {}

  /** Keys currently held (running, or finished within their ttl). */
  get size(): number {
    return this.streams.size;
  }

  start(key: string, producer: StreamProducer, options: StartStreamOptions = {}): HubSource {
    if (typeof key !== 'string' || key === '') throw new TypeError('startStream(key, ...) needs a non-empty string key.');
    if (typeof producer !== 'function')
      throw new TypeError(`startStream('${key}', producer): producer must be a function (signal) => AsyncIterable | Observable.`);
    const existing = this.streams.get(key);
    // A second start joins the one that runs (or that finished within its ttl).
    if (existing) return existing.follow(undefined);
    const recorded = new RecordedStream(key, this.serializer);
    this.streams.set(key, recorded);
    const ttl = options.ttl ?? DEFAULT_STREAM_TTL_MS;
    void this.run(recorded, producer).finally(() => this.scheduleExpiry(recorded, ttl));
    return recorded.follow(undefined);
  }

  /** `null` (so 204) when the key is unknown, expired, or finished and fully delivered. */
  resume(key: string, options: ResumeStreamOptions = {}): HubSource | null {
    const recorded = this.streams.get(key);
    if (!recorded || recorded.fullyDelivered(options.lastEventId)) return null;
    return recorded.follow(options.lastEventId);
  }

  /** Aborts the producer's signal; attached clients get the `stopped` marker and end. False when not running. */
  stop(key: string): boolean {
    const recorded = this.streams.get(key);
    if (!recorded?.running) return false;
    recorded.controller.abort('stopped');
    recorded.finish('stopped');
    return true;
  }

  /** Stops every producer and releases every recording. */
  close(): void {
    for (const recorded of this.streams.values()) {
      recorded.controller.abort('shutdown');
      recorded.finish('stopped');
      recorded.dispose();
    }
    for (const timer of this.expiry.values()) clearTimeout(timer);
    this.streams.clear();
    this.expiry.clear();
  }

  private async run(recorded: RecordedStream, producer: StreamProducer): Promise<void> {
    const { signal } = recorded.controller;
    try {
      const source = resolveSource(await producer(signal));
      if (!source || source.kind === 'none') {
        throw new TypeError(`startStream('${recorded.key}'): the producer must return an async iterable or an Observable.`);
      }
      if (source.kind === 'pull') {
        const { iterator } = source;
        signal.addEventListener('abort', () => void Promise.resolve(iterator.return?.()).catch(() => undefined), { once: true });
        for (;;) {
          const step = await iterator.next();
          if (step.done || !recorded.running) break;
          try {
            recorded.record(step.value);
          } catch (err) {
            // A value that cannot be recorded ends the producer too.
            void Promise.resolve(iterator.return?.()).catch(() => undefined);
            throw err;
          }
        }
      } else {
        await new Promise<void>((resolve, reject) => {
          // Made first: a producer may emit (and fail) while subscribe() runs; a closed parent
          // unsubscribes what is added to it later.
          const subscription = new Subscription();
          subscription.add(
            source.observable.subscribe({
              next: (value) => {
                try {
                  recorded.record(value);
                } catch (err) {
                  subscription.unsubscribe();
                  reject(err);
                }
              },
              error: reject,
              complete: resolve,
            }),
          );
          signal.addEventListener(
            'abort',
            () => {
              subscription.unsubscribe();
              resolve();
            },
            { once: true },
          );
        });
      }
      recorded.finish('complete');
    } catch (err) {
      if (!recorded.running) return;
      const error = err instanceof Error ? err : new Error(String(err));
      this.logger.error(`Resumable stream '${recorded.key}' failed: ${error.message}`, error.stack);
      recorded.finish('error', err);
    }
  }

  private scheduleExpiry(recorded: RecordedStream, ttlMs: number): void {
    if (this.streams.get(recorded.key) !== recorded) return;
    const timer = setTimeout(() => {
      this.expiry.delete(recorded.key);
      if (this.streams.get(recorded.key) === recorded) this.streams.delete(recorded.key);
      recorded.dispose();
    }, ttlMs);
    timer.unref();
    this.expiry.set(recorded.key, timer);
  }
}
