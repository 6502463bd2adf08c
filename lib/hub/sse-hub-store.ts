/**
 * Where the hub keeps published events for resume: the in-memory default, or Redis Streams
 * (`nest-event-stream/redis`). The hub talks only to this interface; a store passes the shared
 * conformance suite (test/conformance/) to be one.
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
  /** Events kept on these channels, for this append and on: overrides the store's default (resumable streams keep more). */
  readonly maxEvents?: number;
  /** The last event of its channel (a resumable stream's end): subscribers complete after it. */
  readonly last?: boolean;
}

/** An event as stored: one copy, the whole frame with its id line. */
export interface HubEvent {
  /**
   * `<ms>-<seq>` (see hub-id.ts): assigned by the store, strictly increasing across the whole
   * hub, never reused across restarts. `''` for an event that was not stored (presence).
   */
  readonly id: string;
  readonly channels: readonly string[];
  /** The complete frame, `id:` line first (none for an unstored event), ending with a blank line. */
  readonly frame: Buffer;
  readonly value: unknown;
  readonly meta?: unknown;
  readonly last?: boolean;
  /**
   * The id's parts, when the store has them at hand: saves parsing the id for every delivery, and
   * tells that the store built `frame` itself from the encoded body (it is then not checked again).
   */
  readonly point?: HubIdPoint;
}

export interface HubReplay {
  /** Held events after the given id on the given channels, oldest first, each once. */
  readonly events: readonly HubEvent[];
  /** False when the store no longer holds every event after that id (trimmed, forgotten, or an id it does not know). */
  readonly complete: boolean;
}

export type MaybePromise<T> = T | Promise<T>;

import type { HubIdPoint } from './hub-id.js';
import type { SseStreamLeases } from '../resumable/stream-leases.js';

export interface SseHubStore {
  /** Assigns the next id and records the event under each of its channels. */
  append(event: HubEventInput): MaybePromise<HubEvent>;
  /**
   * Everything held after `lastEventId` on these channels; `null` reads from the very start of
   * the channels (complete unless something was trimmed). An id from another lifetime of the
   * store, or one it never assigned, is unknown: everything held, `complete: false`.
   */
  readAfter(channels: readonly string[], lastEventId: string | null): MaybePromise<HubReplay>;
  /** Drops everything held for a channel, leaving no trace (a resumable stream whose ttl ran out). */
  forget(channel: string): MaybePromise<void>;
  /** Resumable streams' leases, when the store is shared by instances (one producer per key across all of them). */
  readonly leases?: SseStreamLeases;
  /** Connects at start-up (`app.init()` fails when it rejects). */
  connect?(): MaybePromise<void>;
  /** Releases resources (timers, connections). */
  close?(): MaybePromise<void>;
}
