/**
 * Where the hub keeps published events for resume. The in-memory default is bounded per
 * channel; a Redis Streams store can implement the same interface without the hub changing.
 */

/** What the hub hands the store: an event whose data is already serialized. */
export interface HubEventInput {
  /** Channels the event is published to (one or more). */
  readonly channels: readonly string[];
  /**
   * The frame without its id line: `event:`/`data:` lines and the blank line. Serialized once
   * at publish, however many subscribers receive it.
   */
  readonly body: string;
  /** The published value (filters read it; must be JSON-serializable for a remote store). */
  readonly value: unknown;
  /** Publisher's metadata for filters (e.g. `{ to: userId }`); never written to the wire. */
  readonly meta?: unknown;
}

/** An event as stored: the input plus the id the store assigned. */
export interface HubEvent extends HubEventInput {
  /** Opaque id, monotonic across the whole hub (so per channel too). */
  readonly id: string;
}

export interface HubReplay {
  /** Held events after the given id on the given channels, oldest first, each once. */
  readonly events: readonly HubEvent[];
  /** False when the store no longer holds every event after that id (trimmed or unknown id). */
  readonly complete: boolean;
}

export type MaybePromise<T> = T | Promise<T>;

export interface SseHubStore {
  /** Assigns the next id and records the event under each of its channels. */
  append(event: HubEventInput): MaybePromise<HubEvent>;
  /** Everything held after `lastEventId` on these channels. */
  readAfter(channels: readonly string[], lastEventId: string): MaybePromise<HubReplay>;
  /** Releases resources (timers, connections). */
  close?(): MaybePromise<void>;
}
