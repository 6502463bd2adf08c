import type { SsePresenceBook } from './presence.js';
import type { HubEvent, MaybePromise } from './sse-hub-store.js';

/**
 * How a published event reaches every hub that has subscribers: in-process by default; a Redis
 * transport delivers publishes from every instance. The hub dispatches to its subscribers.
 */
export interface SseHubTransport {
  /** Sends an event (already stored, so it has its id) to every hub, this one included. */
  publish(event: HubEvent): MaybePromise<void>;
  /** Receives every event published through the transport; returns an unsubscribe function. */
  subscribe(listener: (event: HubEvent) => void): () => void;
  /** Connects at start-up (`app.init()` fails when it rejects). */
  connect?(): MaybePromise<void>;
  /**
   * Optional interest hints, so a remote transport can listen only where there are subscribers. A promise from
   * `watch` resolves once no publish on the channel can be missed; subscribers wait for it.
   */
  watch?(channel: string): MaybePromise<void>;
  unwatch?(channel: string): MaybePromise<void>;
  /** Channels whose events this instance may have missed (a remote transport that was cut off): the hub ends their subscribers so that they resume. */
  onLost?(listener: (channels: string[]) => void): () => void;
  /** Presence and subscription counts across instances (default: this process's). */
  readonly presence?: SsePresenceBook;
  /** A message to every instance, this one included (stop a resumable stream where it runs). */
  signal?(message: string): MaybePromise<void>;
  onSignal?(listener: (message: string) => void): () => void;
  close?(): MaybePromise<void>;
}
