/**
 * The broadcast hub: publish to channels, subscribe with resume. Every event is serialized once
 * at publish and its frame built once at delivery; all subscribers write the same bytes.
 *
 * Where events are kept (store) and how they reach every process (transport) are interfaces, so
 * a Redis implementation fills them without the hub changing.
 */
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { SseOptionsError, SseSerializationError } from '../errors.js';
import {
  ResumableStreams,
  type ResumeStreamOptions,
  type StartStreamOptions,
  type StreamProducer,
} from '../resumable/resumable-streams.js';
import type { SseModuleOptions } from '../sse-module-options.js';
import { SSE_MODULE_OPTIONS } from '../sse.constants.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import { encodeFields, encodeValue, jsonSerializer, withoutId, type SseSerializer } from '../wire/encode-frame.js';
import { SseEvent } from '../wire/sse-event.js';
import { HubSource, type HubSink } from './hub-source.js';
import { InMemoryHubStore } from './in-memory-hub-store.js';
import { InProcessTransport } from './in-process-transport.js';
import type { HubEvent, HubReplay, MaybePromise, SseHubStore } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';

/**
 * Event name of the notice a resuming subscriber gets when the store no longer holds everything
 * after its Last-Event-ID (trimmed, expired or unknown id). Its data is
 * `{"lastEventId": "...", "channels": [...]}` and it carries no id. Refetch state when you see it.
 */
export const SSE_GAP_EVENT = 'sse-gap';
/** Event name published to a channel when a subscriber with `presence` data starts receiving. */
export const SSE_JOIN_EVENT = 'join';
/** Event name published to a channel when a subscriber with `presence` data goes away. */
export const SSE_LEAVE_EVENT = 'leave';

/** What a subscriber's filter sees of a published event. */
export interface SseHubEventInfo<T = unknown> {
  readonly id: string;
  readonly channels: readonly string[];
  /** The published value. */
  readonly value: T;
  /** The publisher's `meta` (e.g. `{ to: userId }`). */
  readonly meta: unknown;
}

export interface SsePublishOptions {
  /** Data for subscribers' filters, never written to the wire (e.g. `{ to: userId }`). */
  meta?: unknown;
}

export interface SseSubscribeOptions<T = unknown> {
  /** The client's `Last-Event-ID` (`@LastEventId()`): replay what it missed, then go live. */
  lastEventId?: string;
  /** Per-subscriber filter for private events: return false to skip an event for this subscriber. */
  filter?: (event: SseHubEventInfo<T>) => boolean;
  /** When set, `join` and `leave` events carrying this data are published to the channels. */
  presence?: unknown;
}

/** The value of a gap notice frame. */
export interface SseGapNotice {
  readonly lastEventId: string;
  readonly channels: readonly string[];
}

/** One subscription's entry point: the event and its (shared) frame. */
type Deliver = (event: HubEvent, frame: EncodedFrame) => void;

/**
 * Channels, bounded history and resume by Last-Event-ID. Provided by `SseModule`; inject it.
 *
 * @example
 * @Post('rooms/:id/messages') send(@Param('id') id: string, @Body() msg: Message) {
 *   return this.hub.publish(`room:${id}`, msg);
 * }
 * @Sse('rooms/:id') room(@Param('id') id: string, @LastEventId() lastEventId?: string) {
 *   return this.hub.subscribe(`room:${id}`, { lastEventId });
 * }
 */
@Injectable()
export class SseHub implements OnApplicationShutdown {
  private readonly logger = new Logger('SseHub');
  private readonly store: SseHubStore;
  private readonly transport: SseHubTransport;
  private readonly serializer: SseSerializer;
  private readonly byChannel = new Map<string, Set<Deliver>>();
  private readonly frames = new WeakMap<HubEvent, EncodedFrame>();
  private readonly subscribers = new Set<HubSink>();
  private readonly resumable: ResumableStreams;
  private readonly stopListening: () => void;
  private closed = false;

  constructor(@Optional() @Inject(SSE_MODULE_OPTIONS) options: SseModuleOptions = {}) {
    if (options.store && options.history !== undefined) {
      throw new SseOptionsError(
        'SseModule options: "history" configures the default in-memory store; with a custom "store", set its bounds on the store itself.',
      );
    }
    this.serializer = options.serializer ?? jsonSerializer;
    this.store = options.store ?? new InMemoryHubStore(options.history);
    this.transport = options.transport ?? new InProcessTransport();
    this.stopListening = this.transport.subscribe((event) => this.dispatch(event));
    this.resumable = new ResumableStreams(this.serializer);
  }

  /**
   * Publishes `value` to one channel or several; resolves with the id the store assigned.
   * The value becomes one frame exactly as an `@Sse()` handler's value would (strings, objects
   * as JSON, `SseEvent`/envelopes with their `event` name); an `id` in it is replaced by the hub's.
   * An event published to several channels reaches a subscriber of several of them once.
   */
  publish(channels: string | readonly string[], value: unknown, options: SsePublishOptions = {}): Promise<string> {
    try {
      this.assertOpen('publish');
      const list = normalizeChannels(channels, 'publish');
      const body = this.encodeBody(value);
      const appended = this.store.append({ channels: list, body, value, meta: options.meta });
      return isPromise(appended) ? appended.then((event) => this.send(event)) : this.send(appended);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A source for an `@Sse()` handler: the events of `channels` from now on, or, with
   * `lastEventId`, every held event after it first (no gap, no duplicate, in order). When the
   * store no longer holds all of them, an `sse-gap` event comes first ({@link SSE_GAP_EVENT}).
   */
  subscribe<T = unknown>(channels: string | readonly string[], options: SseSubscribeOptions<T> = {}): HubSource<T> {
    this.assertOpen('subscribe');
    const list = normalizeChannels(channels, 'subscribe');
    const { lastEventId, filter, presence } = options;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new TypeError('hub.subscribe(): "filter" must be a function (event) => boolean.');
    }
    return new HubSource<T>((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return () => undefined;
      }
      /** Writes one frame if the filter keeps it; false when a paced write asks to wait. */
      const emit = (event: HubEvent, frame: EncodedFrame, paced: boolean): boolean => {
        if (subscriber.closed) return false;
        if (filter) {
          let keep: boolean;
          try {
            keep = filter({ id: event.id, channels: event.channels, value: event.value as T, meta: event.meta });
          } catch (err) {
            subscriber.error(err);
            return false;
          }
          if (!keep) return true;
        }
        if (paced && subscriber.write) return subscriber.write(frame as EncodedFrame<T>);
        subscriber.next(frame as EncodedFrame<T>);
        return true;
      };
      /** A replayed (or queued) frame, paced by the socket: resolves false when the subscriber is gone. */
      const replay = (event: HubEvent, frame: EncodedFrame): boolean | Promise<boolean> => {
        if (emit(event, frame, true) || subscriber.closed || !subscriber.drained) return !subscriber.closed;
        return subscriber.drained();
      };
      /** Synchronous while the socket keeps up, so a sync store replays in one go. */
      const replayAll = async (events: Iterable<[HubEvent, EncodedFrame]>): Promise<boolean> => {
        for (const [event, frame] of events) {
          if (!isNew(event)) continue;
          const written = replay(event, frame);
          if (!(typeof written === 'boolean' ? written : await written)) return false;
        }
        return true;
      };
      // Live events that arrive while the replay is read and written wait here, so none is missed.
      let pending: Array<[HubEvent, EncodedFrame]> | undefined = lastEventId === undefined ? undefined : [];
      // Ids already replayed: a live copy of one of them (a publish racing the read) is dropped.
      let replayed: Set<string> | undefined;
      /** False for a live copy of a replayed event; the first new id ends the check (ids arrive in order). */
      const isNew = (event: HubEvent): boolean => {
        if (!replayed) return true;
        if (replayed.has(event.id)) return false;
        replayed = undefined;
        return true;
      };
      const deliver: Deliver = (event, frame) => {
        if (pending) {
          pending.push([event, frame]);
          return;
        }
        if (isNew(event)) emit(event, frame, false);
      };
      const sink = subscriber as HubSink;
      this.subscribers.add(sink);
      this.register(list, deliver);
      let joined = false;
      const join = (): void => {
        if (presence === undefined || subscriber.closed) return;
        joined = true;
        this.announce(list, SSE_JOIN_EVENT, presence);
      };
      if (lastEventId === undefined) {
        join();
      } else {
        const finishReplay = async (held: HubReplay): Promise<void> => {
          if (subscriber.closed) return;
          if (!held.complete) subscriber.next(gapFrame(lastEventId, list) as EncodedFrame<T>);
          if (!(await replayAll(held.events.map((event) => [event, this.frameOf(event)])))) return;
          replayed = new Set(held.events.map((event) => event.id));
          // Live events queued meanwhile (the array may grow while a write waits for the socket).
          if (!(await replayAll(pending ?? []))) return;
          pending = undefined;
          join();
        };
        const fail = (err: unknown): void => subscriber.error(err);
        try {
          const held = this.store.readAfter(list, lastEventId);
          if (isPromise(held)) held.then(finishReplay).catch(fail);
          else finishReplay(held).catch(fail);
        } catch (err) {
          fail(err);
        }
      }
      return () => {
        this.subscribers.delete(sink);
        this.unregister(list, deliver);
        if (joined && !this.closed) this.announce(list, SSE_LEAVE_EVENT, presence);
      };
    });
  }

  /** Open subscriptions on `channel`, or in total (a subscriber of several channels counts once). */
  connections(channel?: string): number {
    if (channel === undefined) return this.subscribers.size;
    return this.byChannel.get(channel)?.size ?? 0;
  }

  /** Channels with at least one subscriber in this process. */
  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  /**
   * Runs `producer(signal)` detached from any request and records what it yields under `key`;
   * returns a source for the request that started it. A second start with a running key joins it.
   */
  startStream(key: string, producer: StreamProducer, options?: StartStreamOptions): HubSource {
    this.assertOpen('startStream');
    return this.resumable.start(key, producer, options);
  }

  /** Replays `key`'s recording after `lastEventId`, then follows it; `null` (204) when unknown, expired or fully delivered. */
  resumeStream(key: string, options?: ResumeStreamOptions): HubSource | null {
    if (this.closed) return null;
    return this.resumable.resume(key, options);
  }

  /** Aborts the producer of `key`; clients following it get a `stopped` event and end. False when nothing runs under `key`. */
  stopStream(key: string): boolean {
    return this.resumable.stop(key);
  }

  /** Ends every subscription and releases the store and transport. Called by `app.close()`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscriber of [...this.subscribers]) subscriber.complete();
    this.subscribers.clear();
    this.byChannel.clear();
    this.resumable.close();
    this.stopListening();
    await this.transport.close?.();
    await this.store.close?.();
  }

  /** After the streams got their farewell (SseStreamRegistry runs in onModuleDestroy). */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private send(event: HubEvent): Promise<string> {
    const sent = this.transport.publish(event);
    return isPromise(sent) ? sent.then(() => event.id) : Promise.resolve(event.id);
  }

  /** The frame of a published value, without its id line (the store assigns the id). */
  private encodeBody(value: unknown): string {
    if (value instanceof EncodedFrame) {
      throw new SseSerializationError(value, 'hub.publish() takes the value to send, not an EncodedFrame');
    }
    const encoded = encodeValue(withoutId(value), this.serializer);
    if (encoded === undefined) throw new SseSerializationError(value, 'hub.publish() needs a value; undefined has nothing to send');
    return typeof encoded === 'string' ? encoded : encoded.toString('utf8');
  }

  private dispatch(event: HubEvent): void {
    const { channels } = event;
    if (channels.length === 1) {
      const set = this.byChannel.get(channels[0]);
      if (!set) return;
      const frame = this.frameOf(event);
      for (const deliver of set) deliver(event, frame);
      return;
    }
    const frame = this.frameOf(event);
    const reached = new Set<Deliver>();
    for (const channel of channels) {
      const set = this.byChannel.get(channel);
      if (!set) continue;
      for (const deliver of set) {
        if (reached.has(deliver)) continue;
        reached.add(deliver);
        deliver(event, frame);
      }
    }
  }

  /** One frame (and one Buffer) per event, shared by every subscriber that receives it. */
  private frameOf(event: HubEvent): EncodedFrame {
    let frame = this.frames.get(event);
    if (!frame) {
      frame = EncodedFrame.fromText(`id: ${event.id}\n${event.body}`, event.id, event.value);
      this.frames.set(event, frame);
    }
    return frame;
  }

  private register(channels: readonly string[], deliver: Deliver): void {
    for (const channel of channels) {
      let set = this.byChannel.get(channel);
      if (!set) {
        set = new Set();
        this.byChannel.set(channel, set);
        this.hint(() => this.transport.watch?.(channel));
      }
      set.add(deliver);
    }
  }

  private unregister(channels: readonly string[], deliver: Deliver): void {
    for (const channel of channels) {
      const set = this.byChannel.get(channel);
      if (!set) continue;
      set.delete(deliver);
      if (set.size > 0) continue;
      this.byChannel.delete(channel);
      this.hint(() => this.transport.unwatch?.(channel));
    }
  }

  private announce(channels: readonly string[], event: string, data: unknown): void {
    this.publish(channels, new SseEvent({ event, data })).catch((err: unknown) => this.logError(`Could not publish "${event}"`, err));
  }

  /** Interest hints are best-effort: a failure is logged, never thrown at a subscriber. */
  private hint(call: () => MaybePromise<void> | undefined): void {
    try {
      const result = call();
      if (isPromise(result)) result.catch((err: unknown) => this.logError('Transport watch/unwatch failed', err));
    } catch (err) {
      this.logError('Transport watch/unwatch failed', err);
    }
  }

  private logError(what: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.logger.error(`${what}: ${error.message}`, error.stack);
  }

  private assertOpen(method: string): void {
    if (this.closed) throw new Error(`hub.${method}() was called after the hub closed (app.close()).`);
  }
}

function normalizeChannels(channels: string | readonly string[], method: string): string[] {
  const list = typeof channels === 'string' ? [channels] : Array.isArray(channels) ? [...new Set(channels as string[])] : undefined;
  if (!list || list.length === 0 || list.some((channel) => typeof channel !== 'string' || channel === '')) {
    throw new TypeError(`hub.${method}(channels, ...): channels must be a non-empty string or a non-empty array of them.`);
  }
  return list;
}

function gapFrame(lastEventId: string, channels: readonly string[]): EncodedFrame<SseGapNotice> {
  const notice: SseGapNotice = { lastEventId, channels };
  return EncodedFrame.fromText(encodeFields({ event: SSE_GAP_EVENT, data: JSON.stringify(notice) }), undefined, notice);
}

function isPromise<T>(value: MaybePromise<T> | undefined): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
