/**
 * Detached producers by key: `start` runs a producer that outlives any request and records what
 * it yields through the hub's store (one history, one id space, one set of bounds); `resume`
 * follows a recording from a Last-Event-ID; `stop` aborts it. A stream ends with a recorded
 * marker (an error, `stopped`, or an invisible end), and stays resumable for its ttl from then.
 * A lease (stream-leases.ts) makes one producer per key true across every instance sharing the
 * store; `stop` reaches the instance that runs it through the transport's signals; a stream whose
 * instance died (its lease ran out) is ended with an error marker by an instance following it.
 */
import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Subscription } from 'rxjs';
import { deferredSource, type HubSource } from '../hub/hub-source.js';
import { compareHubIds, parseHubId } from '../hub/hub-id.js';
import type { SseResumableOptions } from '../hub/sse-hub-options.js';
import type { HubEvent, HubEventInput, MaybePromise } from '../hub/sse-hub-store.js';
import { SseOptionsError } from '../errors.js';
import { isPromise } from '../source/is-promise.js';
import { LocalStreamLeases, RESUMABLE_CHANNEL_PREFIX, type SseStreamLeases, type StreamState, type StreamStatus } from './stream-leases.js';
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
export { RESUMABLE_CHANNEL_PREFIX };

export const DEFAULT_STREAM_TTL_MS = 5 * 60 * 1000;
export const DEFAULT_MAX_STREAMS = 1000;
export const DEFAULT_MAX_STREAM_EVENTS = 10_000;
/** How long a producer's instance holds its lease without renewing it (renewed every third of it). */
export const DEFAULT_STREAM_LEASE_MS = 10_000;
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
  /** Leases shared by the instances (a Redis store's); default: in this process. */
  leases?: SseStreamLeases;
  /** Messages to every instance (a Redis transport's), for `stop` where the producer runs. */
  signals?: StreamSignals;
}

export interface StreamSignals {
  send(message: string): MaybePromise<void>;
  on(listener: (message: string) => void): () => void;
}

/** A producer running in this process. */
interface RunningStream {
  readonly key: string;
  readonly channel: string;
  readonly controller: AbortController;
  readonly ttlMs: number;
  status: StreamStatus;
  /** Id of the last event a client can see; a client that has it has everything. */
  lastVisibleId: string | undefined;
  /** Appends in order, one after the other. */
  tail: Promise<void>;
  renewal: NodeJS.Timeout | undefined;
}

const STOP_SIGNAL = 'stop\n';

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
  /** Producers running here. */
  private readonly running = new Map<string, RunningStream>();
  /** Keys run by another instance that clients here follow: checked for a dead owner. */
  private readonly watched = new Set<string>();
  /** Watched keys seen orphaned once: ended if still orphaned at the next check. */
  private readonly suspects = new Set<string>();
  private watchdog: NodeJS.Timeout | undefined;
  private readonly owner = randomUUID();
  private readonly leases: SseStreamLeases;
  private readonly stopListening: (() => void) | undefined;
  private readonly maxStreams: number;
  private readonly maxEvents: number;
  private readonly ttlMs: number;
  private readonly leaseMs: number;
  private closed = false;

  constructor(
    private readonly host: ResumableHost,
    options: SseResumableOptions = {},
  ) {
    const { maxStreams = DEFAULT_MAX_STREAMS, maxEvents = DEFAULT_MAX_STREAM_EVENTS, ttl, leaseMs = DEFAULT_STREAM_LEASE_MS } = options;
    if (!Number.isSafeInteger(maxStreams) || maxStreams < 1)
      throw new SseOptionsError(`resumable.maxStreams is ${String(maxStreams)}; expected a positive integer.`);
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 1)
      throw new SseOptionsError(`resumable.maxEvents is ${String(maxEvents)}; expected a positive integer.`);
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 100 || leaseMs > MAX_TIMER_MS)
      throw new SseOptionsError(`resumable.leaseMs is ${String(leaseMs)}; expected a whole number of ms, at least 100.`);
    this.maxStreams = maxStreams;
    this.maxEvents = maxEvents;
    this.ttlMs = checkTtl('*', ttl) ?? DEFAULT_STREAM_TTL_MS;
    this.leaseMs = leaseMs;
    this.leases =
      host.leases ??
      new LocalStreamLeases(
        maxStreams,
        (key) => this.forget(key),
        () => this.full(),
      );
    this.stopListening = host.signals?.on((message) => {
      if (message.startsWith(STOP_SIGNAL)) this.stopHere(message.slice(STOP_SIGNAL.length));
    });
  }

  /** Keys held now by this process's leases (running, or finished within their ttl). */
  get size(): number {
    return this.leases instanceof LocalStreamLeases ? this.leases.size : this.running.size;
  }

  start(key: string, producer: StreamProducer, options: StartStreamOptions = {}): HubSource {
    if (typeof key !== 'string' || key === '') throw new TypeError('startStream(key, ...) needs a non-empty string key.');
    if (typeof producer !== 'function') {
      throw new TypeError(`startStream('${key}', producer): producer must be a function (signal) => AsyncIterable | Observable.`);
    }
    const ttlMs = checkTtl(key, options.ttl) ?? this.ttlMs;
    const channel = RESUMABLE_CHANNEL_PREFIX + key;
    // A second start joins the one that runs (or that finished within its ttl), from its start.
    if (this.running.has(key)) return this.host.follow(channel, null);
    if (this.running.size >= this.maxStreams) throw this.full();
    const claimed = this.leases.claim(key, this.owner, this.leaseMs);
    if (!isPromise(claimed)) {
      if (claimed) this.launch(key, channel, producer, ttlMs);
      return this.host.follow(channel, null);
    }
    return deferredSource(
      claimed.then((mine) => {
        if (mine && !this.closed) this.launch(key, channel, producer, ttlMs);
        else if (!mine) this.watch(key);
        return this.host.follow(channel, null);
      }),
    );
  }

  /** Resolves `null` (so 204) when the key is unknown, expired, or finished and fully delivered. */
  async resume(key: string, options: ResumeStreamOptions = {}): Promise<HubSource | null> {
    const channel = RESUMABLE_CHANNEL_PREFIX + key;
    const after = options.lastEventId ?? null;
    if (this.running.has(key)) return this.host.follow(channel, after);
    const state = await this.leases.state(key);
    if (!state || fullyDelivered(state, options.lastEventId)) return null;
    if (state.status === 'running') this.watch(key);
    return this.host.follow(channel, after);
  }

  /** Aborts the producer's signal wherever it runs; followers get the `stopped` marker and end. False when nothing runs under `key`. */
  async stop(key: string): Promise<boolean> {
    if (this.stopHere(key)) return true;
    const state = await this.leases.state(key);
    if (state?.status !== 'running') return false;
    if (state.orphaned) return this.endOrphan(key, 'stopped');
    if (!this.host.signals) return false;
    await this.host.signals.send(STOP_SIGNAL + key);
    return true;
  }

  /** Ends every producer running here: followers (on any instance) get an error marker saying so. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopListening?.();
    clearInterval(this.watchdog);
    this.watched.clear();
    const shutdown = new HttpException('The server shut down before this stream finished; start it again.', HttpStatus.SERVICE_UNAVAILABLE);
    const running = [...this.running.values()];
    for (const stream of running) {
      stream.controller.abort('shutdown');
      this.finish(stream, 'error', shutdown);
    }
    await Promise.all(running.map((stream) => stream.tail));
    this.leases.close?.();
  }

  private full(): Error {
    return new HttpException(
      `Too many resumable streams running (resumable.maxStreams ${this.maxStreams}); try again later.`,
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }

  private stopHere(key: string): boolean {
    const stream = this.running.get(key);
    if (stream?.status !== 'running') return false;
    stream.controller.abort('stopped');
    this.finish(stream, 'stopped');
    return true;
  }

  private launch(key: string, channel: string, producer: StreamProducer, ttlMs: number): void {
    const stream: RunningStream = {
      key,
      channel,
      controller: new AbortController(),
      ttlMs,
      status: 'running',
      lastVisibleId: undefined,
      tail: Promise.resolve(),
      renewal: undefined,
    };
    this.running.set(key, stream);
    if (this.leases.shared) {
      stream.renewal = setInterval(() => this.renew(stream), Math.max(50, Math.floor(this.leaseMs / 3)));
      stream.renewal.unref();
    }
    void this.run(stream, producer);
  }

  private renew(stream: RunningStream): void {
    Promise.resolve(this.leases.renew(stream.key, this.owner, this.leaseMs)).then(
      (held) => {
        if (held || stream.status !== 'running') return;
        stream.controller.abort('lease lost');
        if (held === undefined) {
          // The store lost the lease (Redis lost its data): nobody else will end it; this instance does.
          this.logger.warn(`Resumable stream '${stream.key}': its lease is gone from the store; ending it with an error.`);
          this.finish(stream, 'error', new HttpException('The stream was interrupted; start it again.', HttpStatus.SERVICE_UNAVAILABLE));
          return;
        }
        // Another instance took it over (this one was unreachable too long) and recorded its end.
        this.logger.warn(`Resumable stream '${stream.key}': another instance took its lease over; stopping its producer here.`);
        stream.status = 'error';
        this.release(stream);
      },
      (err: unknown) => this.logger.warn(`Resumable stream '${stream.key}': could not renew its lease: ${(err as Error).message}`),
    );
  }

  private async run(stream: RunningStream, producer: StreamProducer): Promise<void> {
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
  private record(stream: RunningStream, value: unknown): Promise<void> {
    // Encoded now, synchronously: a value that cannot be encoded fails its producer at once.
    const body = this.host.encodeBody(value);
    stream.tail = stream.tail.then(async () => {
      if (stream.status !== 'running') return;
      const event = await this.host.record({ channels: [stream.channel], body, value, maxEvents: this.maxEvents });
      stream.lastVisibleId = event.id;
    });
    return stream.tail;
  }

  /** Records the end marker (after what is queued), then the end in the lease; the ttl starts. */
  private finish(stream: RunningStream, status: Exclude<StreamStatus, 'running'>, error?: unknown): void {
    if (stream.status !== 'running') return;
    stream.status = status;
    stream.tail = stream.tail
      .catch(() => undefined)
      .then(() =>
        this.retrying(stream.key, 'record its end', async (attempt) => {
          // A marker that was stored before a failed lease write is not recorded again.
          if (attempt === 0 || stream.lastVisibleId === undefined || status === 'complete') {
            const event = await this.recordEnd(stream.channel, status, error);
            if (status !== 'complete') stream.lastVisibleId = event.id;
          }
          await this.leases.finish(stream.key, this.owner, stream.channel, { status, lastVisibleId: stream.lastVisibleId }, stream.ttlMs);
        }),
      )
      .then(() => undefined)
      .finally(() => this.release(stream));
  }

  /**
   * Runs `step` until it succeeds, a few times over about two leases (the store may be back by
   * then); a stream whose end is never recorded would leave its followers waiting.
   */
  private async retrying(key: string, what: string, step: (attempt: number) => Promise<void>): Promise<boolean> {
    const attempts = this.leases.shared ? 6 : 1;
    for (let attempt = 0; ; attempt++) {
      try {
        await step(attempt);
        return true;
      } catch (err) {
        const failure = err instanceof Error ? err : new Error(String(err));
        // Closing: one attempt, so that app.close() never waits on a store that is down.
        if (attempt + 1 >= attempts || this.closed) {
          this.logger.error(`Resumable stream '${key}': could not ${what}: ${failure.message}`, failure.stack);
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.floor(this.leaseMs / 3))));
      }
    }
  }

  private release(stream: RunningStream): void {
    clearInterval(stream.renewal);
    if (this.running.get(stream.key) === stream) this.running.delete(stream.key);
  }

  private recordEnd(channel: string, status: Exclude<StreamStatus, 'running'>, error?: unknown): Promise<HubEvent> {
    const body =
      status === 'error'
        ? encodeFields({ event: SSE_ERROR_EVENT, data: JSON.stringify(publicError(error)) })
        : status === 'stopped'
          ? encodeFields({ event: SSE_STOPPED_EVENT, data: '' })
          : // Nothing for the client to see: followers just complete after it.
            ': end\n\n';
    return this.host.record({ channels: [channel], body, value: undefined, maxEvents: this.maxEvents, last: true });
  }

  /** Follows `key`'s owner from here: when its lease runs out, the stream is ended for it. */
  private watch(key: string): void {
    if (!this.leases.shared || this.closed) return;
    this.watched.add(key);
    if (this.watchdog) return;
    this.watchdog = setInterval(() => void this.checkOwners(), Math.max(50, Math.floor(this.leaseMs / 2)));
    this.watchdog.unref();
  }

  /**
   * A running key whose lease ran out is ended only when it is still orphaned one check later: an
   * owner that was merely cut off from the store renews within a third of its lease once the store
   * answers again, faster than that.
   */
  private async checkOwners(): Promise<void> {
    for (const key of [...this.watched]) {
      try {
        const state = await this.leases.state(key);
        if (state?.status !== 'running') {
          this.watched.delete(key);
          this.suspects.delete(key);
        } else if (!state.orphaned) {
          this.suspects.delete(key);
        } else if (!this.suspects.has(key)) {
          this.suspects.add(key);
        } else if (await this.endOrphan(key, 'error')) {
          this.suspects.delete(key);
        }
      } catch (err) {
        this.logger.warn(`Resumable stream '${key}': could not check its producer: ${(err as Error).message}`);
      }
    }
    if (this.watched.size === 0) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }

  /** The instance running `key` went away: record the end its clients wait for. True once recorded. */
  private async endOrphan(key: string, status: 'error' | 'stopped'): Promise<boolean> {
    if (!(await this.leases.takeOver(key, this.owner, this.leaseMs))) return false;
    const channel = RESUMABLE_CHANNEL_PREFIX + key;
    this.logger.warn(`Resumable stream '${key}': the instance running it went away; its clients get an error event.`);
    const gone = new HttpException('The server running this stream went away; start it again.', HttpStatus.SERVICE_UNAVAILABLE);
    let lastVisibleId: string | undefined;
    const ended = await this.retrying(key, 'record the end of a stream whose instance went away', async () => {
      lastVisibleId ??= (await this.recordEnd(channel, status, gone)).id;
      await this.leases.finish(key, this.owner, channel, { status, lastVisibleId }, this.ttlMs);
    });
    // Watched until it is recorded: a later check takes it over again (the lease taken here runs out).
    if (ended) this.watched.delete(key);
    return ended;
  }

  private forget(key: string): void {
    void Promise.resolve()
      .then(() => this.host.forget(RESUMABLE_CHANNEL_PREFIX + key))
      .catch((err: unknown) => {
        const failure = err instanceof Error ? err : new Error(String(err));
        this.logger.error(`Resumable stream '${key}': could not forget its recording: ${failure.message}`, failure.stack);
      });
  }
}

function fullyDelivered(state: StreamState, lastEventId: string | undefined): boolean {
  if (state.status === 'running') return false;
  if (state.lastVisibleId === undefined) return true;
  const seen = lastEventId === undefined ? undefined : parseHubId(lastEventId);
  const last = parseHubId(state.lastVisibleId);
  return seen !== undefined && last !== undefined && compareHubIds(seen, last) >= 0;
}
