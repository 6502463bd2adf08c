/**
 * The default hub store, in this process's memory, bounded as a whole: events per channel,
 * channels, and bytes, with idle channels forgotten. A forgotten channel leaves a small
 * tombstone (its last dropped id), so a later resume from before it reports the gap.
 */
import { checkHistoryOptions } from './history-bounds.js';
import { compareHubIds, formatHubId, HubIdClock, parseHubId, type HubIdPoint } from './hub-id.js';
import type { SseHistoryOptions } from './sse-hub-options.js';
import type { HubEvent, HubEventInput, HubReplay, SseHubStore } from './sse-hub-store.js';

/**
 * Forgotten channels whose last dropped id is remembered exactly. Past this many, the oldest
 * tombstones fold into one store-wide watermark: resumes below it then report a gap even if that
 * channel lost nothing (a spurious gap is safe; a silent loss is not).
 */
const MAX_TOMBSTONES = 10_000;
/** What an event costs besides its frame and value (objects, the id string, the queue slot): measured, rounded up. */
const EVENT_OVERHEAD_BYTES = 400;
const BEFORE_ALL: HubIdPoint = { ms: -1, seq: 0 };
/** The id sequence of every store in this process that runs on the real clock. */
const processIds = new HubIdClock();

/**
 * One held event: the frame is kept as text, its one copy. (A small Buffer kept for long pins the
 * whole 8 KiB pool slab it was cut from; a string costs what it holds.) A replay makes Buffers.
 */
interface HeldEvent {
  readonly id: string;
  readonly channels: readonly string[];
  readonly frame: string;
  readonly value: unknown;
  readonly meta: unknown;
  readonly last: boolean;
  readonly point: HubIdPoint;
  /** When it was appended (the store's clock), for maxAgeMs. */
  readonly at: number;
  /** What it counts for against maxBytes. */
  readonly bytes: number;
}

/** One channel's history, oldest first: a queue with a moving head, compacted now and then. */
class ChannelHistory {
  private queue: Array<HeldEvent | undefined> = [];
  private head = 0;
  /** Newest id dropped from this channel, so a resume from before it knows it missed something. */
  trimmedThrough: HubIdPoint | undefined;
  /** Bytes of the events held. */
  bytes = 0;
  /** Last append (the store's clock). */
  lastAppendAt = 0;

  get size(): number {
    return this.queue.length - this.head;
  }

  push(held: HeldEvent, capacity: number, onDrop: (held: HeldEvent) => void): void {
    this.queue.push(held);
    this.bytes += held.bytes;
    this.lastAppendAt = held.at;
    while (this.size > capacity) onDrop(this.dropOldest());
  }

  /** Drops events appended before `cutoff`. */
  expire(cutoff: number, onDrop: (held: HeldEvent) => void): void {
    while (this.size > 0 && this.queue[this.head]!.at < cutoff) onDrop(this.dropOldest());
  }

  newest(): HeldEvent | undefined {
    return this.size === 0 ? undefined : this.queue[this.queue.length - 1];
  }

  /** Events after `point`, oldest first. */
  after(point: HubIdPoint): HubEvent[] {
    // Binary search: ids grow along the queue.
    let low = this.head;
    let high = this.queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareHubIds(this.queue[mid]!.point, point) <= 0) low = mid + 1;
      else high = mid;
    }
    const out: HubEvent[] = [];
    for (let i = low; i < this.queue.length; i++) out.push(toHubEvent(this.queue[i]!));
    return out;
  }

  dropOldest(): HeldEvent {
    const held = this.queue[this.head]!;
    this.trimmedThrough = held.point;
    this.bytes -= held.bytes;
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
    return held;
  }
}

/**
 * Bounded in-memory history, the hub's default store. Ids are `<ms>-<seq>` (see hub-id.ts), one
 * sequence for the whole store, so a client reading several channels resumes all of them with a
 * single `Last-Event-ID`; an id from before this store existed (an earlier process) is unknown,
 * and a resume from it reports the gap. Trimming is lazy (on append and read): no timers.
 *
 * @example
 * SseModule.forRoot({ history: { maxEvents: 200, maxChannels: 50_000, maxBytes: 128 * 1024 * 1024 } });
 */
export class InMemoryHubStore implements SseHubStore {
  private readonly maxEvents: number;
  private readonly maxAgeMs: number | undefined;
  private readonly maxChannels: number;
  private readonly maxBytes: number;
  private readonly idleChannelMs: number;
  private readonly ids: HubIdClock;
  /** The first id this store could have assigned: anything before it is from another lifetime. */
  private readonly born: HubIdPoint;
  /** Least recently appended first. */
  private readonly channels = new Map<string, ChannelHistory>();
  /** Forgotten channel -> its last dropped id, oldest first. */
  private readonly tombstones = new Map<string, HubIdPoint>();
  /** Last dropped id of every tombstone folded away past MAX_TOMBSTONES. */
  private forgottenThrough: HubIdPoint | undefined;
  private heldBytes = 0;
  /** No channel can expire before this time (the store's clock): most appends skip the scan. */
  private nextExpiryAt = -Infinity;
  /** The channel appended to last (already last in `channels`: no need to move it). */
  private newestChannel: string | undefined;

  /**
   * @param history Bounds; `false` keeps nothing (every resume then reports a gap).
   * @param clock Current time in ms; replaceable for tests.
   */
  constructor(
    history: SseHistoryOptions | false = {},
    private readonly clock: () => number = Date.now,
  ) {
    // Stores on the real clock share one sequence per process, so two of them (two apps, an app
    // and its restart in a test) never hand out the same id; an earlier process ended before
    // this one started, so its ids are all below `born`.
    this.ids = clock === Date.now ? processIds : new HubIdClock(clock);
    this.born = { ms: Math.max(Math.floor(clock()), this.ids.newest?.ms ?? 0) + 1, seq: 0 };
    this.ids.raiseFloor(this.born.ms);
    const bounds = checkHistoryOptions(history);
    this.maxEvents = bounds.maxEvents;
    this.maxAgeMs = bounds.maxAgeMs;
    this.maxChannels = bounds.maxChannels;
    this.maxBytes = bounds.maxBytes;
    this.idleChannelMs = bounds.idleChannelMs;
  }

  append(input: HubEventInput): HubEvent {
    const point = this.ids.next();
    const id = formatHubId(point);
    const frame = `id: ${id}\n${input.body}`;
    const event = hubEvent(id, point, input.channels, frame, input.value, input.meta, input.last === true);
    const capacity = input.maxEvents ?? this.maxEvents;
    if (capacity === 0) return event;
    const at = this.clock();
    this.expire(at);
    // Counted once per channel it is held on; the value is assumed as large as its frame.
    const held: HeldEvent = {
      id,
      channels: input.channels,
      frame,
      value: input.value,
      meta: input.meta,
      last: input.last === true,
      point,
      at,
      bytes: event.frame.length * 2 + EVENT_OVERHEAD_BYTES,
    };
    for (const channel of input.channels) {
      let history = this.channels.get(channel);
      if (!history) {
        history = new ChannelHistory();
        // A channel seen before (or possibly seen: its tombstone may have been folded into the
        // watermark) starts out knowing what it already lost.
        history.trimmedThrough = this.tombstones.get(channel) ?? this.forgottenThrough;
        this.tombstones.delete(channel);
        this.channels.set(channel, history);
      } else if (channel !== this.newestChannel) {
        // Most recently appended last: the bounds below take from the front.
        this.channels.delete(channel);
        this.channels.set(channel, history);
      }
      this.newestChannel = channel;
      if (this.maxAgeMs !== undefined) history.expire(at - this.maxAgeMs, this.dropped);
      history.push(held, capacity, this.dropped);
      this.heldBytes += held.bytes;
    }
    this.enforceBounds();
    return event;
  }

  readAfter(channels: readonly string[], lastEventId: string | null): HubReplay {
    const now = this.clock();
    this.expire(now);
    const newest = this.ids.newest;
    let after: HubIdPoint;
    let complete = this.maxEvents > 0;
    if (lastEventId === null) {
      after = BEFORE_ALL;
    } else {
      const point = parseHubId(lastEventId);
      const known =
        point !== undefined && newest !== undefined && compareHubIds(point, this.born) >= 0 && compareHubIds(point, newest) <= 0;
      // An id this store does not know: the client may have missed anything, so send all we hold.
      after = known ? point : BEFORE_ALL;
      if (!known) complete = false;
    }
    const lists: HubEvent[][] = [];
    for (const channel of new Set(channels)) {
      const history = this.channels.get(channel);
      if (history && this.maxAgeMs !== undefined) history.expire(now - this.maxAgeMs, this.dropped);
      const lost = history ? history.trimmedThrough : (this.tombstones.get(channel) ?? this.forgottenThrough);
      if (lost && compareHubIds(lost, after) > 0) complete = false;
      if (!history) continue;
      const events = history.after(after);
      if (events.length > 0) lists.push(events);
    }
    return { events: mergeById(lists), complete };
  }

  forget(channel: string): void {
    const history = this.channels.get(channel);
    if (history) {
      this.heldBytes -= history.bytes;
      this.channels.delete(channel);
    }
    this.tombstones.delete(channel);
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

  /** What the held events count for against `maxBytes`. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Forgotten channels remembered exactly. */
  get tombstoneCount(): number {
    return this.tombstones.size;
  }

  close(): void {
    this.channels.clear();
    this.tombstones.clear();
    this.heldBytes = 0;
  }

  private readonly dropped = (held: HeldEvent): void => {
    this.heldBytes -= held.bytes;
  };

  /** Forgets idle channels and drops events past maxAgeMs; walks from the least recently appended. */
  private expire(now: number): void {
    if (now <= this.nextExpiryAt) return;
    const idleCutoff = now - this.idleChannelMs;
    const ageCutoff = this.maxAgeMs === undefined ? undefined : now - this.maxAgeMs;
    // Until the oldest channel left could go, nothing can (channels are in append order).
    const window = Math.min(this.idleChannelMs, this.maxAgeMs ?? Infinity);
    for (const [channel, history] of this.channels) {
      if (history.lastAppendAt < idleCutoff || (ageCutoff !== undefined && history.lastAppendAt < ageCutoff)) {
        this.forgetWithTombstone(channel, history);
        continue;
      }
      // Appended to after the cutoffs: this channel and every later one stays.
      this.nextExpiryAt = history.lastAppendAt + window;
      return;
    }
    // No channel left: the next one appended sets the time.
    this.nextExpiryAt = -Infinity;
  }

  /** maxChannels, then maxBytes: forget whole channels, least recently appended first, or trim the last one standing. */
  private enforceBounds(): void {
    while (this.channels.size > this.maxChannels) {
      const [channel, history] = this.channels.entries().next().value as [string, ChannelHistory];
      this.forgetWithTombstone(channel, history);
    }
    while (this.heldBytes > this.maxBytes && this.channels.size > 0) {
      const [channel, history] = this.channels.entries().next().value as [string, ChannelHistory];
      if (this.channels.size > 1) this.forgetWithTombstone(channel, history);
      else {
        this.dropped(history.dropOldest());
        if (history.size === 0) this.forgetWithTombstone(channel, history);
      }
    }
  }

  private forgetWithTombstone(channel: string, history: ChannelHistory): void {
    this.channels.delete(channel);
    this.heldBytes -= history.bytes;
    const through = history.newest()?.point ?? history.trimmedThrough;
    if (!through) return;
    this.tombstones.delete(channel);
    this.tombstones.set(channel, through);
    if (this.tombstones.size <= MAX_TOMBSTONES) return;
    const [oldest, point] = this.tombstones.entries().next().value as [string, HubIdPoint];
    this.tombstones.delete(oldest);
    if (!this.forgottenThrough || compareHubIds(point, this.forgottenThrough) > 0) this.forgottenThrough = point;
  }
}

/** Merges per-channel lists (each sorted by id) into one, keeping an event on several channels once. */
function mergeById(lists: HubEvent[][]): HubEvent[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0]!;
  const byId = new Map<string, { event: HubEvent; point: HubIdPoint }>();
  for (const list of lists) {
    for (const event of list) if (!byId.has(event.id)) byId.set(event.id, { event, point: event.point ?? parseHubId(event.id)! });
  }
  return [...byId.values()].sort((a, b) => compareHubIds(a.point, b.point)).map((entry) => entry.event);
}

function toHubEvent(held: HeldEvent): HubEvent {
  return hubEvent(held.id, held.point, held.channels, held.frame, held.value, held.meta, held.last);
}

function hubEvent(
  id: string,
  point: HubIdPoint,
  channels: readonly string[],
  frame: string,
  value: unknown,
  meta: unknown,
  last: boolean,
): HubEvent {
  const event: { -readonly [K in keyof HubEvent]: HubEvent[K] } = { id, channels, frame: Buffer.from(frame, 'utf8'), value, meta, point };
  if (last) event.last = true;
  return event;
}
