/**
 * The default hub store: a bounded ring buffer of events per channel, in this process's memory.
 * Memory stays flat however long the app runs: at most `maxEvents` per channel, and channels
 * whose every event expired (`maxAgeMs`) are forgotten, keeping only a small tombstone.
 */
import { SseOptionsError } from '../errors.js';
import type { SseHistoryOptions } from './sse-hub-options.js';
import type { HubEvent, HubEventInput, HubReplay, SseHubStore } from './sse-hub-store.js';

/** Events kept per channel when `history.maxEvents` is not set. */
export const DEFAULT_HISTORY_MAX_EVENTS = 1000;

/**
 * Forgotten channels whose last trimmed id is remembered exactly. Past this many, the oldest
 * tombstones fold into one hub-wide watermark: resumes below it then report a gap even if that
 * channel lost nothing (a spurious gap is safe; a silent loss is not).
 */
const MAX_TOMBSTONES = 10_000;

const DECIMAL_ID = /^(?:0|[1-9][0-9]{0,15})$/;

interface HeldEvent {
  readonly event: HubEvent;
  readonly seq: number;
  readonly at: number;
}

/** One channel's history, oldest first: a queue bounded to `capacity` events. */
class ChannelHistory {
  // An array with a moving head, compacted now and then: amortized O(1) per event, and a quiet
  // channel holds a few slots rather than `maxEvents` of them.
  private queue: Array<HeldEvent | undefined> = [];
  private head = 0;
  /** Highest sequence number dropped from this channel (0: none), so a resume below it knows it missed something. */
  trimmedThrough = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  push(held: HeldEvent): void {
    this.queue.push(held);
    if (this.size > this.capacity) this.dropOldest();
  }

  /** Drops events published before `cutoff` (ms timestamp). */
  expire(cutoff: number): void {
    while (this.size > 0 && (this.queue[this.head] as HeldEvent).at < cutoff) this.dropOldest();
  }

  newest(): HeldEvent | undefined {
    return this.size === 0 ? undefined : this.queue[this.queue.length - 1];
  }

  /** Events with a sequence number above `seq`, oldest first. */
  after(seq: number): HubEvent[] {
    // Binary search: sequence numbers grow along the queue.
    let low = this.head;
    let high = this.queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.queue[mid] as HeldEvent).seq <= seq) low = mid + 1;
      else high = mid;
    }
    const out: HubEvent[] = [];
    for (let i = low; i < this.queue.length; i++) out.push((this.queue[i] as HeldEvent).event);
    return out;
  }

  private dropOldest(): void {
    this.trimmedThrough = (this.queue[this.head] as HeldEvent).seq;
    // Release the event at once; the slot itself goes at the next compaction.
    this.queue[this.head] = undefined;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Bounded in-memory history, the hub's default store. Ids are one hub-wide counter written in
 * decimal (`"1"`, `"2"`, ...), so a client reading several channels resumes all of them with a
 * single `Last-Event-ID`. An id this store never assigned (from another process, or from before
 * a restart) is reported as a gap, followed by everything held.
 *
 * Trimming is lazy (on append and read), so the store runs no timers.
 *
 * @example
 * SseModule.forRoot({ store: new InMemoryHubStore({ maxEvents: 200, maxAgeMs: 60_000 }) });
 */
export class InMemoryHubStore implements SseHubStore {
  private readonly maxEvents: number;
  private readonly maxAgeMs: number | undefined;
  /** Insertion order = least recently appended first, which is what age expiry walks. */
  private readonly channels = new Map<string, ChannelHistory>();
  /** Forgotten channel -> its trimmedThrough, oldest first. */
  private readonly tombstones = new Map<string, number>();
  /** trimmedThrough of every tombstone evicted past MAX_TOMBSTONES. */
  private forgottenThrough = 0;
  private lastSeq = 0;

  /**
   * @param history Bounds per channel; `false` keeps nothing (every resume then reports a gap).
   * @param clock Current time in ms; replaceable for tests.
   */
  constructor(
    history: SseHistoryOptions | false = {},
    private readonly clock: () => number = Date.now,
  ) {
    if (history === false) {
      this.maxEvents = 0;
      this.maxAgeMs = undefined;
      return;
    }
    const { maxEvents = DEFAULT_HISTORY_MAX_EVENTS, maxAgeMs } = history;
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 0) {
      throw new SseOptionsError(`history.maxEvents is ${String(maxEvents)}; expected a non-negative integer (0 keeps no history).`);
    }
    if (maxAgeMs !== undefined && (typeof maxAgeMs !== 'number' || !(maxAgeMs > 0))) {
      throw new SseOptionsError(`history.maxAgeMs is ${String(maxAgeMs)}; expected a positive number of ms, or leave it out.`);
    }
    this.maxEvents = maxEvents;
    this.maxAgeMs = maxAgeMs;
  }

  /** Assigns the next id and keeps the event in the history of each of its channels. */
  append(input: HubEventInput): HubEvent {
    const seq = ++this.lastSeq;
    const event: HubEvent = { ...input, id: String(seq) };
    if (this.maxEvents === 0) return event;
    const at = this.clock();
    this.expireIdle(at);
    const held: HeldEvent = { event, seq, at };
    for (const channel of input.channels) {
      let history = this.channels.get(channel);
      if (history) {
        // Keep the Map ordered by last append, so expireIdle() can stop at the first live channel.
        if (this.maxAgeMs !== undefined) {
          this.channels.delete(channel);
          this.channels.set(channel, history);
        }
      } else {
        history = new ChannelHistory(this.maxEvents);
        // A channel seen before (or possibly seen: its tombstone may have been folded into the
        // watermark) starts out knowing what it already lost.
        history.trimmedThrough = this.tombstones.get(channel) ?? this.forgottenThrough;
        this.tombstones.delete(channel);
        this.channels.set(channel, history);
      }
      if (this.maxAgeMs !== undefined) history.expire(at - this.maxAgeMs);
      history.push(held);
    }
    return event;
  }

  /** Held events after `lastEventId` on `channels`, merged by id, and whether that is everything. */
  readAfter(channels: readonly string[], lastEventId: string): HubReplay {
    const now = this.clock();
    this.expireIdle(now);
    const known = DECIMAL_ID.test(lastEventId) && Number(lastEventId) <= this.lastSeq;
    // An id we never assigned: the client may have missed anything, so send all we hold.
    const after = known ? Number(lastEventId) : 0;
    let complete = known && this.maxEvents > 0;
    const lists: HubEvent[][] = [];
    for (const channel of new Set(channels)) {
      const history = this.channels.get(channel);
      if (history) {
        if (this.maxAgeMs !== undefined) history.expire(now - this.maxAgeMs);
        if (history.trimmedThrough > after) complete = false;
        const events = history.after(after);
        if (events.length > 0) lists.push(events);
      } else if ((this.tombstones.get(channel) ?? this.forgottenThrough) > after) {
        complete = false;
      }
    }
    return { events: mergeById(lists), complete };
  }

  /** Events held, on one channel or in total (an event on two channels counts twice). */
  size(channel?: string): number {
    if (channel !== undefined) return this.channels.get(channel)?.size ?? 0;
    let total = 0;
    for (const history of this.channels.values()) total += history.size;
    return total;
  }

  /** Channels with at least one held event. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Drops all history. */
  close(): void {
    this.channels.clear();
    this.tombstones.clear();
  }

  /** Forgets whole channels whose newest event expired; stops at the first channel still alive. */
  private expireIdle(now: number): void {
    if (this.maxAgeMs === undefined) return;
    const cutoff = now - this.maxAgeMs;
    for (const [channel, history] of this.channels) {
      const newest = history.newest();
      if (newest && newest.at >= cutoff) return;
      this.channels.delete(channel);
      this.forget(channel, newest ? newest.seq : history.trimmedThrough);
    }
  }

  private forget(channel: string, trimmedThrough: number): void {
    if (trimmedThrough === 0) return;
    this.tombstones.delete(channel);
    this.tombstones.set(channel, trimmedThrough);
    if (this.tombstones.size <= MAX_TOMBSTONES) return;
    const [oldest, through] = this.tombstones.entries().next().value as [string, number];
    this.tombstones.delete(oldest);
    this.forgottenThrough = Math.max(this.forgottenThrough, through);
  }
}

/** Merges per-channel lists (each sorted by id) into one, keeping an event on several channels once. */
function mergeById(lists: HubEvent[][]): HubEvent[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0];
  const seen = new Set<string>();
  const merged: HubEvent[] = [];
  for (const list of lists) {
    for (const event of list) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      merged.push(event);
    }
  }
  return merged.sort((a, b) => Number(a.id) - Number(b.id));
}
