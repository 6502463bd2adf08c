/**
 * The broadcast hub: publish to channels, subscribe with resume, presence, resumable streams.
 * Every event is serialized once at publish; where it is kept (store) and how it reaches every
 * process (transport) are interfaces, so a Redis implementation fills them without this changing.
 */
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { SseOptionsError, SseSerializationError } from '../errors.js';
import {
  RESUMABLE_CHANNEL_PREFIX,
  ResumableStreams,
  type ResumeStreamOptions,
  type StartStreamOptions,
  type StreamProducer,
  type StreamSignals,
} from '../resumable/resumable-streams.js';
import type { SseModuleOptions } from '../sse-module-options.js';
import { SSE_MODULE_OPTIONS } from '../sse.constants.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import { encodeFields, encodeValue, jsonSerializer, withoutId, type SseSerializer } from '../wire/encode-frame.js';
import { ChannelRegistry } from './channel-registry.js';
import { HubSource, type HubSink } from './hub-source.js';
import { HubSubscription, type SseHubEventInfo, type SubscriptionHost, type SubscriptionPlan } from './hub-subscription.js';
import { InMemoryHubStore } from './in-memory-hub-store.js';
import { InProcessTransport } from './in-process-transport.js';
import { PresenceRoster, presenceKeyOf, type SsePresenceBook, type SsePresenceEntry } from './presence.js';
import { SseHubChannel } from './sse-hub-channel.js';
import type { HubEvent, HubEventInput, MaybePromise, SseHubStore } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';
import { isPromise } from '../source/is-promise.js';

const presenceLogger = new Logger('SseHub');

export { SSE_GAP_EVENT, type SseGapNotice, type SseHubEventInfo } from './hub-subscription.js';

/** Event name announced to a channel when the first connection of a presence key subscribes. */
export const SSE_JOIN_EVENT = 'join';
/** Event name announced to a channel when the last connection of a presence key goes away. */
export const SSE_LEAVE_EVENT = 'leave';

export interface SsePublishOptions {
  /** Data for subscribers' filters, never written to the wire (e.g. `{ to: userId }`). */
  meta?: unknown;
}

export interface SseSubscribeOptions<T = unknown> {
  /** The client's `Last-Event-ID` (`@LastEventId()`): replay what it missed, then go live. */
  lastEventId?: string;
  /** Per-subscriber filter for private events: return false to skip an event for this subscriber. */
  filter?: (event: SseHubEventInfo<T>) => boolean;
  /**
   * Presence data (e.g. `{ user: 'bob' }`): the subscriber joins the channels' rosters, and
   * `join`/`leave` events carrying it are announced (not stored, no id) on the first and last
   * connection of its key.
   */
  presence?: unknown;
  /** The key presence counts under (a user id): three tabs of one user count once. Default: the JSON of `presence`. */
  presenceKey?: string;
}

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
export class SseHub implements OnModuleInit, OnApplicationShutdown {
  private readonly store: SseHubStore;
  private readonly transport: SseHubTransport;
  private readonly serializer: SseSerializer;
  private readonly registry: ChannelRegistry;
  private readonly presence: SsePresenceBook;
  private readonly subscribers = new Map<HubSink, readonly string[]>();
  private readonly host: SubscriptionHost;
  private readonly resumable: ResumableStreams;
  private readonly stopListening: () => void;
  private readonly stopOrphans: (() => void) | undefined;
  private readonly stopLost: (() => void) | undefined;
  private readonly countOf = (channel?: string): number => this.connections(channel);
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
    this.registry = new ChannelRegistry(this.transport);
    this.presence = this.transport.presence ?? new PresenceRoster();
    this.stopOrphans = this.presence.onOrphanedLeave?.((channels, data) => this.announce(channels, SSE_LEAVE_EVENT, data));
    this.stopLost = this.transport.onLost?.((channels) => this.endSubscribers(channels));
    this.host = { registry: this.registry, store: this.store, subscribers: this.subscribers };
    this.stopListening = this.transport.subscribe((event) => this.registry.dispatch(event));
    this.resumable = new ResumableStreams(
      {
        record: (input) => Promise.resolve(this.record(input)),
        follow: (channel, after) => this.follow({ channels: [channel], after, paced: true }),
        forget: (channel) => this.store.forget(channel),
        encodeBody: (value) => this.encodeBody(value),
        leases: this.store.leases,
        signals: signalsOf(this.transport),
      },
      options.resumable,
    );
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
      const recorded = this.record({ channels: list, body: this.encodeBody(value), value, meta: options.meta });
      // Store and transport in process: one settled promise per publish, nothing chained.
      return isPromise(recorded) ? recorded.then((event) => event.id) : Promise.resolve(recorded.id);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A source for an `@Sse()` handler: the events of `channels` from now on, or, with
   * `lastEventId`, every held event after it first (no gap, no duplicate, in order, paced by the
   * socket). When the store no longer holds all of them, an `sse-gap` event comes first
   * ({@link SSE_GAP_EVENT}).
   */
  subscribe<T = unknown>(channels: string | readonly string[], options: SseSubscribeOptions<T> = {}): HubSource<T> {
    this.assertOpen('subscribe');
    const list = normalizeChannels(channels, 'subscribe');
    const { lastEventId, filter, presence, presenceKey } = options;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new TypeError('hub.subscribe(): "filter" must be a function (event) => boolean.');
    }
    if (presenceKey !== undefined && typeof presenceKey !== 'string') {
      throw new TypeError('hub.subscribe(): "presenceKey" must be a string (a user id, say).');
    }
    const plan: SubscriptionPlan<T> = { channels: list, after: lastEventId, filter };
    if (presence === undefined) return this.follow(plan);
    const key = presenceKey ?? presenceKeyOf(presence);
    // With a shared book (Redis) join/leave resolve later; a leave waits for its join.
    let joined: Promise<unknown> | undefined;
    return this.follow({
      ...plan,
      onLive: () => {
        const first = this.presence.join(list, key, presence);
        const announce = (channels: string[]) => {
          if (channels.length > 0) this.announce(channels, SSE_JOIN_EVENT, presence);
        };
        if (isPromise(first)) joined = first.then(announce).catch(logPresenceError);
        else announce(first);
      },
      onEnd: () => {
        const leave = () => {
          const last = this.presence.leave(list, key);
          const announce = (left: { channels: string[]; data: unknown }) => {
            if (left.channels.length > 0 && !this.closed) this.announce(left.channels, SSE_LEAVE_EVENT, left.data);
          };
          if (isPromise(last)) return last.then(announce).catch(logPresenceError);
          announce(last);
          return undefined;
        };
        if (joined) void joined.then(leave);
        else leave();
      },
    });
  }

  /**
   * A view of `channel` (or channels) typed by an event map: `publish(event, data)` is checked
   * against it, and `subscribe()` fits an `@SseEvents()` route of the same map.
   *
   * @example const room = this.hub.channel<ChatEvents>(`room:${id}`); await room.publish('message', msg);
   */
  channel<M>(channel: string | readonly string[]): SseHubChannel<M> {
    normalizeChannels(channel, 'channel');
    return new SseHubChannel<M>(this, channel);
  }

  /** Open subscriptions on `channel`, or in total (a subscriber of several channels counts once), in this instance. */
  connections(channel?: string): number {
    return channel === undefined ? this.subscribers.size : this.registry.count(channel);
  }

  /**
   * Open subscriptions on `channel`, or in total, across every instance (with a Redis transport;
   * otherwise the same as `connections()`). Other instances' counts are at most a moment old; an
   * instance that died stops counting once its announcements lapse.
   */
  async countConnections(channel?: string): Promise<number> {
    if (!this.presence.countConnections) return this.connections(channel);
    return this.presence.countConnections(channel);
  }

  /** Channels with at least one subscriber in this process. */
  channels(): string[] {
    return this.registry.channels();
  }

  /** Who is connected on `channel` with presence, one entry per presence key (however many tabs), across instances with a Redis transport. */
  async roster(channel: string): Promise<SsePresenceEntry[]> {
    return this.presence.list(channel);
  }

  /**
   * Runs `producer(signal)` detached from any request and records what it yields under `key`;
   * returns a source for the request that started it. A second start with a held key joins it.
   */
  startStream(key: string, producer: StreamProducer, options?: StartStreamOptions): HubSource {
    this.assertOpen('startStream');
    return this.resumable.start(key, producer, options);
  }

  /**
   * Replays `key`'s recording after `lastEventId`, then follows it; resolves `null` (so 204) when
   * unknown, expired or fully delivered. Works on any instance sharing the store. `T` types the
   * recorded values (e.g. `SseChannelValue<AnswerEvents>` for an `@SseEvents()` route): a promise
   * you make about what the producer yields, not a check.
   */
  async resumeStream<T = unknown>(key: string, options?: ResumeStreamOptions): Promise<HubSource<T> | null> {
    if (this.closed) return null;
    return (await this.resumable.resume(key, options)) as HubSource<T> | null;
  }

  /**
   * Aborts the producer of `key` on whichever instance runs it; clients following it get a
   * `stopped` event and end. Resolves false when nothing runs under `key`.
   */
  async stopStream(key: string): Promise<boolean> {
    if (this.closed) return false;
    return this.resumable.stop(key);
  }

  /** Ends every subscription and releases the store and transport. Called by `app.close()`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Before the subscribers end: a shared book takes this instance's share back in one step.
    await Promise.resolve(this.presence.retire?.()).catch(logPresenceError);
    this.stopOrphans?.();
    this.stopLost?.();
    for (const subscriber of [...this.subscribers.keys()]) subscriber.complete();
    this.subscribers.clear();
    this.registry.clear();
    this.presence.clear();
    await this.resumable.close();
    this.stopListening();
    await this.transport.close?.();
    await this.store.close?.();
  }

  /** Connects the store and the transport (Redis): `app.init()` fails, saying why, when they cannot. */
  async onModuleInit(): Promise<void> {
    try {
      await this.store.connect?.();
      await this.transport.connect?.();
    } catch (err) {
      // What did connect is let go, so that a failed start-up leaves nothing holding the process open.
      await Promise.allSettled([Promise.resolve(this.transport.close?.()), Promise.resolve(this.store.close?.())]);
      throw err;
    }
  }

  /** After the streams got their farewell (SseStreamRegistry runs in onModuleDestroy). */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * The transport may have missed events of these channels: their subscribers end, so that their
   * clients reconnect with their Last-Event-ID and get what is held, or the gap notice.
   */
  private endSubscribers(channels: readonly string[]): void {
    const lost = new Set(channels);
    for (const [sink, subscribed] of [...this.subscribers]) {
      if (subscribed.some((channel) => lost.has(channel))) sink.complete();
    }
  }

  private follow<T>(plan: SubscriptionPlan<T>): HubSource<T> {
    return new HubSource<T>((sink) => {
      if (this.closed) {
        sink.complete();
        return () => undefined;
      }
      const detach = new HubSubscription(this.host, plan, sink).start();
      this.presence.countsChanged?.(plan.channels, this.countOf);
      return () => {
        detach();
        this.presence.countsChanged?.(plan.channels, this.countOf);
      };
    });
  }

  /** Stores the event, then hands it to the transport; resolves once both took it. */
  /** Stores the event, then hands it to the transport; settled at once when both did so synchronously. */
  private record(input: HubEventInput): MaybePromise<HubEvent> {
    const appended = this.store.append(input);
    return isPromise(appended) ? appended.then((event) => this.send(event)) : this.send(appended);
  }

  private send(event: HubEvent): MaybePromise<HubEvent> {
    const sent = this.transport.publish(event);
    return isPromise(sent) ? sent.then(() => event) : event;
  }

  /** Presence is news of the moment: sent to the channels' subscribers, never stored, without an id. */
  private announce(channels: readonly string[], event: string, data: unknown): void {
    try {
      const frame = Buffer.from(encodeFields({ event, data }, this.serializer), 'utf8');
      const sent = this.transport.publish({ id: '', channels, frame, value: data });
      if (isPromise(sent)) sent.catch(() => undefined);
    } catch {
      // Presence data that cannot be serialized announces nothing; the roster still counts it.
    }
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

  private assertOpen(method: string): void {
    if (this.closed) throw new Error(`hub.${method}() was called after the hub closed (app.close()).`);
  }
}

function logPresenceError(err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  presenceLogger.warn(`Presence could not be updated: ${error.message}`);
}

function signalsOf(transport: SseHubTransport): StreamSignals | undefined {
  const { signal, onSignal } = transport;
  if (!signal || !onSignal) return undefined;
  return { send: (message) => signal.call(transport, message), on: (listener) => onSignal.call(transport, listener) };
}

function normalizeChannels(channels: string | readonly string[], method: string): string[] {
  const list = typeof channels === 'string' ? [channels] : Array.isArray(channels) ? [...new Set(channels as string[])] : undefined;
  if (!list || list.length === 0 || list.some((channel) => typeof channel !== 'string' || channel === '')) {
    throw new TypeError(`hub.${method}(channels, ...): channels must be a non-empty string or a non-empty array of them.`);
  }
  const reserved = list.find((channel) => channel.startsWith(RESUMABLE_CHANNEL_PREFIX));
  if (reserved !== undefined) {
    throw new TypeError(
      `hub.${method}(): channel "${reserved}" starts with "${RESUMABLE_CHANNEL_PREFIX}", which resumable streams use; pick another name.`,
    );
  }
  return list;
}
