/**
 * A hub channel typed by an event map: `publish(event, data)` only compiles for an event of the
 * map with its payload, and `subscribe()` returns a source that an `@SseEvents()` route of the
 * same map may return. A thin view over `SseHub`: same ids, history, resume and presence.
 */
import type { SseChannelValue } from '../events/sse-event-map.js';
import type { HubSource } from './hub-source.js';
import type { SsePresenceEntry } from './presence.js';
import type { SsePublishOptions, SseSubscribeOptions } from './sse-hub.js';

/** What `SseHubChannel` needs of the hub. */
export interface SseHubChannelHost {
  publish(channels: string | readonly string[], value: unknown, options?: SsePublishOptions): Promise<string>;
  subscribe<T>(channels: string | readonly string[], options?: SseSubscribeOptions<T>): HubSource<T>;
  roster(channel: string): Promise<SsePresenceEntry[]>;
  connections(channel?: string): number;
}

/**
 * Returned by `hub.channel<M>(name)`.
 *
 * @example
 * type ChatEvents = { message: ChatMessage; join: { user: string }; leave: { user: string } };
 * const room = hub.channel<ChatEvents>('room:1');
 * await room.publish('message', { from: 'ann', text: 'hi' }); // ✔
 * await room.publish('mesage', { from: 'ann', text: 'hi' });  // ✘ does not compile
 */
export class SseHubChannel<M> {
  constructor(
    private readonly hub: SseHubChannelHost,
    /** The channel (or channels: a publish reaches each, a subscription reads all of them). */
    readonly name: string | readonly string[],
  ) {}

  /**
   * Publishes one event of the map as `{ event, data }`; resolves with the id the store assigned.
   * Same rules as `hub.publish()` (serialized once, stored, resumable).
   */
  publish<K extends keyof M & string>(event: K, data: M[K], options?: SsePublishOptions): Promise<string> {
    return this.hub.publish(this.name, { event, data }, options);
  }

  /** A source for an `@Sse()` handler, as `hub.subscribe()`; `filter` sees the typed published value. */
  subscribe(options?: SseSubscribeOptions<SseChannelValue<M>>): HubSource<SseChannelValue<M>> {
    return this.hub.subscribe<SseChannelValue<M>>(this.name, options);
  }

  /** Who is connected with presence (the first channel's roster when there are several). */
  roster(): Promise<SsePresenceEntry[]> {
    return this.hub.roster(typeof this.name === 'string' ? this.name : this.name[0]);
  }

  /** Open subscriptions on this channel in this instance (the first channel's, when there are several). */
  connections(): number {
    return this.hub.connections(typeof this.name === 'string' ? this.name : this.name[0]);
  }
}
