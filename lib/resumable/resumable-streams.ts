/**
 * Detached producers by key: `start` runs a producer that outlives any request and records what
 * it yields through the hub's store (one history, one id space, one set of bounds); `resume`
 * follows a recording from a Last-Event-ID; `stop` aborts it. A stream ends with a recorded
 * marker (an error, `stopped`, or an invisible end), and stays resumable for its ttl from then.
 */
import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Subscription } from 'rxjs';
import type { HubSource } from '../hub/hub-source.js';
import { compareHubIds, parseHubId } from '../hub/hub-id.js';
import type { SseResumableOptions } from '../hub/sse-hub-options.js';
import type { HubEvent, HubEventInput, MaybePromise } from '../hub/sse-hub-store.js';
import { SseOptionsError } from '../errors.js';
import { resolveSource } from '../source/resolve-source.js';
import { SSE_ERROR_EVENT } from '../sse.constants.js';
import { publicError } from '../stream/stream-errors.js';
import { encodeFields } from '../wire/encode-frame.js';

/** A producer: gets a signal aborted by `stopStream()`; returns an async iterable or an Observable (or a Promise of one). */
export type StreamProducer = (signal: AbortSignal) => unknown;

export interface StartStreamOptions {
  /** How long (ms) the stream stays resumable once it finished or was stopped. Default: the hub's `resumable.ttl` (5 minutes). */
  ttl?: number;
}

export interface ResumeStreamOptions {
  /** The Last-Event-ID the client brings (`@LastEventId()`). */
  lastEventId?: string;
}

/** Event name of the marker recorded when `stopStream()` stops a producer. */
export const SSE_STOPPED_EVENT = 'stopped';
/** Prefix of the hub channels that hold recordings; a channel of the app's cannot start with it. */
export const RESUMABLE_CHANNEL_PREFIX = 'sse-stream:';

export const DEFAULT_STREAM_TTL_MS = 5 * 60 * 1000;
export const DEFAULT_MAX_STREAMS = 1000;
export const DEFAULT_MAX_STREAM_EVENTS = 10_000;
const MAX_TIMER_MS = 2_147_483_647;

/** What the streams need of the hub. */
export interface ResumableHost {
  /** Stores and fans out one event (the frame body already encoded). */
  record(input: HubEventInput): Promise<HubEvent>;
  /** A subscriber of one channel: `null` replays from the start, an id what follows it. */
  follow(channel: string, after: string | null): HubSource;
  /** Drops what the store holds for a channel. */
  forget(channel: string): MaybePromise<void>;
  /** A produced value as a frame body (throws SseFieldError/SseSerializationError). */
  encodeBody(value: unknown): string;
}

type StreamStatus = 'running' | 'complete' | 'error' | 'stopped';

interface RecordedStream {
  readonly key: string;
  readonly channel: string;
  readonly controller: AbortController;
  readonly ttlMs: number;
  status: StreamStatus;
  /** Id of the last event a client can see; a client that has it has everything. */
  lastVisibleId: string | undefined;
  /** Appends in order, one after the other. */
  tail: Promise<void>;
  expiry: NodeJS.Timeout | undefined;
}

function checkTtl(key: string, ttl: unknown): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 0 || ttl > MAX_TIMER_MS) {
    throw new SseOptionsError(
      `startStream('${key}', producer, { ttl }): ttl is ${String(ttl)}; expected a whole number of ms from 0 to ${MAX_TIMER_MS}.`,
    );
  }
  return ttl;
}

export class ResumableStreams {
  private readonly logger = new Logger('SseHub');
  private readonly streams = new Map<string, RecordedStream>();
  private readonly maxStreams: number;
  private readonly maxEvents: number;
  private readonly ttlMs: number;

  constructor(
    private readonly host: ResumableHost,
    options: SseResumableOptions = {},
  ) {
    const { maxStreams = DEFAULT_MAX_STREAMS, maxEvents = DEFAULT_MAX_STREAM_EVENTS, ttl } = options;
    if (!Number.isSafeInteger(maxStreams) || maxStreams < 1)
      throw new SseOptionsError(`resumable.maxStreams is ${String(maxStreams)}; expected a positive integer.`);
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 1)
      throw new SseOptionsError(`resumable.maxEvents is ${String(maxEvents)}; expected a positive integer.`);
    this.maxStreams = maxStreams;
    this.maxEvents = maxEvents;
    this.ttlMs = checkTtl('*', ttl) ?? DEFAULT_STREAM_TTL_MS;
  }

  /** Keys held now (running, or finished within their ttl). */
  get size(): number {
    return this.streams.size;
  }

  start(key: string, producer: StreamProducer, options: StartStreamOptions = {}): HubSource {
    if (typeof key !== 'string' || key === '') throw new TypeError('startStream(key, ...) needs a non-empty string key.');
    if (typeof producer !== 'function') {
      throw new TypeError(`startStream('${key}', producer): producer must be a function (signal) => AsyncIterable | Observable.`);
    }
    const ttlMs = checkTtl(key, options.ttl) ?? this.ttlMs;
    const channel = RESUMABLE_CHANNEL_PREFIX + key;
    // A second start joins the one that runs (or that finished within its ttl), from its start.
    if (this.streams.has(key)) return this.host.follow(channel, null);
    this.makeRoom();
    const stream: RecordedStream = {
      key,
      channel,
      controller: new AbortController(),
      ttlMs,
      status: 'running',
      lastVisibleId: undefined,
      tail: Promise.resolve(),
      expiry: undefined,
    };
    this.streams.set(key, stream);
    void this.run(stream, producer);
    return this.host.follow(channel, null);
  }

  /** `null` (so 204) when the key is unknown, expired, or finished and fully delivered. */
  resume(key: string, options: ResumeStreamOptions = {}): HubSource | null {
    const stream = this.streams.get(key);
    if (!stream || this.fullyDelivered(stream, options.lastEventId)) return null;
    return this.host.follow(stream.channel, options.lastEventId ?? null);
  }

  /** Aborts the producer's signal; followers get the `stopped` marker and end. The ttl starts now. False when not running. */
  stop(key: string): boolean {
    const stream = this.streams.get(key);
    if (stream?.status !== 'running') return false;
    stream.controller.abort('stopped');
    this.finish(stream, 'stopped');
    return true;
  }

  /** Stops every producer and drops every recording. */
  close(): void {
    for (const stream of this.streams.values()) {
      if (stream.status === 'running') stream.controller.abort('shutdown');
      stream.status = stream.status === 'running' ? 'stopped' : stream.status;
      clearTimeout(stream.expiry);
    }
    this.streams.clear();
  }

  private fullyDelivered(stream: RecordedStream, lastEventId: string | undefined): boolean {
    if (stream.status === 'running') return false;
    if (stream.lastVisibleId === undefined) return true;
    const seen = lastEventId === undefined ? undefined : parseHubId(lastEventId);
    return seen !== undefined && compareHubIds(seen, parseHubId(stream.lastVisibleId)!) >= 0;
  }

  /** At maxStreams, the oldest finished stream makes room; with none finished, a start is refused (503). */
  private makeRoom(): void {
    if (this.streams.size < this.maxStreams) return;
    for (const stream of this.streams.values()) {
      if (stream.status === 'running') continue;
      this.expire(stream);
      return;
    }
    throw new HttpException(
      `Too many resumable streams running (resumable.maxStreams ${this.maxStreams}); try again later.`,
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }

  private async run(stream: RecordedStream, producer: StreamProducer): Promise<void> {
    const { signal } = stream.controller;
    try {
      const source = resolveSource(await producer(signal));
      if (!source || source.kind === 'none') {
        throw new TypeError(`startStream('${stream.key}'): the producer must return an async iterable or an Observable.`);
      }
      if (source.kind === 'pull') {
        const { iterator } = source;
        const release = () => void Promise.resolve(iterator.return?.()).catch(() => undefined);
        signal.addEventListener('abort', release, { once: true });
        try {
          for (;;) {
            const step = await iterator.next();
            if (step.done || stream.status !== 'running') break;
            // Waits for the store: a fast producer is paced by it.
            await this.record(stream, step.value);
          }
        } catch (err) {
          // A value that cannot be recorded ends the producer too.
          release();
          throw err;
        }
      } else {
        await new Promise<void>((resolve, reject) => {
          // Made first: a producer may emit, and fail, while subscribe() runs; a closed parent
          // unsubscribes what is added to it later.
          const subscription = new Subscription();
          let settled = false;
          const onAbort = () => settle();
          const settle = (err?: unknown) => {
            if (settled) return;
            settled = true;
            subscription.unsubscribe();
            signal.removeEventListener('abort', onAbort);
            if (err === undefined) resolve();
            else reject(err);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          subscription.add(
            source.observable.subscribe({
              next: (value) => {
                if (settled) return;
                try {
                  this.record(stream, value).catch((err: unknown) => settle(err ?? new Error('recording failed')));
                } catch (err) {
                  settle(err ?? new Error('recording failed'));
                }
              },
              error: (err: unknown) => settle(err ?? new Error('producer failed')),
              complete: () => settle(),
            }),
          );
        });
      }
      await stream.tail;
      this.finish(stream, 'complete');
    } catch (err) {
      if (stream.status !== 'running') return;
      const error = err instanceof Error ? err : new Error(String(err));
      this.logger.error(`Resumable stream '${stream.key}' failed: ${error.message}`, error.stack);
      this.finish(stream, 'error', err);
    }
  }

  /** Records one value after those before it; rejects when it cannot be encoded or stored. */
  private record(stream: RecordedStream, value: unknown): Promise<void> {
    // Encoded now, synchronously: a value that cannot be encoded fails its producer at once.
    const body = this.host.encodeBody(value);
    stream.tail = stream.tail.then(async () => {
      if (stream.status !== 'running') return;
      const event = await this.host.record({ channels: [stream.channel], body, value, maxEvents: this.maxEvents });
      stream.lastVisibleId = event.id;
    });
    return stream.tail;
  }

  /** Records the end marker (after what is queued) and starts the ttl. */
  private finish(stream: RecordedStream, status: Exclude<StreamStatus, 'running'>, error?: unknown): void {
    if (stream.status !== 'running') return;
    stream.status = status;
    const body =
      status === 'error'
        ? encodeFields({ event: SSE_ERROR_EVENT, data: JSON.stringify(publicError(error)) })
        : status === 'stopped'
          ? encodeFields({ event: SSE_STOPPED_EVENT, data: '' })
          : // Nothing for the client to see: followers just complete after it.
            ': end\n\n';
    const visible = status !== 'complete';
    stream.tail = stream.tail
      .catch(() => undefined)
      .then(async () => {
        const event = await this.host.record({ channels: [stream.channel], body, value: undefined, maxEvents: this.maxEvents, last: true });
        if (visible) stream.lastVisibleId = event.id;
      })
      .catch((err: unknown) => {
        const failure = err instanceof Error ? err : new Error(String(err));
        this.logger.error(`Resumable stream '${stream.key}': could not record its end: ${failure.message}`, failure.stack);
      });
    stream.expiry = setTimeout(() => this.expire(stream), stream.ttlMs);
    stream.expiry.unref();
  }

  private expire(stream: RecordedStream): void {
    clearTimeout(stream.expiry);
    if (this.streams.get(stream.key) !== stream) return;
    this.streams.delete(stream.key);
    void Promise.resolve()
      .then(() => this.host.forget(stream.channel))
      .catch((err: unknown) => {
        const failure = err instanceof Error ? err : new Error(String(err));
        this.logger.error(`Resumable stream '${stream.key}': could not forget its recording: ${failure.message}`, failure.stack);
      });
  }
}
