/**
 * The hub's history in Redis Streams, shared by every instance: one stream per channel, ids from
 * one clock key (`<ms>-<seq>`, Redis server time), the same bounds as the in-memory store. The
 * append script also publishes the event (see redis-scripts.ts), so with a RedisHubTransport on
 * the same keyPrefix every instance receives events in id order.
 */
import type { SseHistoryOptions } from '../hub/sse-hub-options.js';
import type { HubEvent, HubEventInput, HubReplay, SseHubStore } from '../hub/sse-hub-store.js';
import { compareHubIds, parseHubId, type HubIdPoint } from '../hub/hub-id.js';
import { checkHistoryOptions, type HistoryBounds } from '../hub/history-bounds.js';
import { decodeEntries, encodeHeader, type StreamEntry } from './redis-event-codec.js';
import { RedisLink, type RedisHubConnectionOptions } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';
import { appendScript, readScript } from './redis-scripts.js';
import { RedisStreamLeases } from './redis-stream-leases.js';

export interface RedisHubStoreOptions extends RedisHubConnectionOptions {
  /** Bounds of the history, as for the in-memory store (`maxBytes` excepted: Redis memory is bounded by maxEvents × maxChannels and idleChannelMs). */
  history?: Omit<SseHistoryOptions, 'maxBytes'> | false;
}

/** Marks an event whose append script already published it on this key space (the transport then sends nothing). */
export const PUBLISHED_IN = Symbol('nest-event-stream/redis published in');

type ReadReply = [known: number, ...channels: Array<[lost: string | null, entries: StreamEntry[]]>];

const BEFORE_ALL: HubIdPoint = { ms: -1, seq: 0 };

/**
 * @example
 * SseModule.forRoot({
 *   store: new RedisHubStore({ url: process.env.REDIS_URL, history: { maxEvents: 500 } }),
 *   transport: new RedisHubTransport({ url: process.env.REDIS_URL }),
 * });
 */
export class RedisHubStore implements SseHubStore {
  readonly keys: RedisKeys;
  private readonly link: RedisLink;
  private readonly bounds: HistoryBounds;
  /** Resumable streams' leases, next to their recordings (same hash tag). */
  readonly leases: RedisStreamLeases;

  constructor(options: RedisHubStoreOptions = {}) {
    if (options?.history && 'maxBytes' in options.history) {
      throw new TypeError(
        'new RedisHubStore(): history.maxBytes bounds the in-memory store only; bound Redis with maxEvents, maxChannels and idleChannelMs (and Redis maxmemory with a noeviction policy).',
      );
    }
    this.keys = new RedisKeys(options?.keyPrefix);
    this.bounds = checkHistoryOptions(options?.history ?? {});
    // Last: the options are all valid before a client exists.
    this.link = RedisLink.open(options, 'RedisHubStore');
    this.leases = new RedisStreamLeases(() => this.link.client, this.keys);
    if (options.history && 'maxBytes' in options.history) {
      throw new TypeError(
        'new RedisHubStore(): history.maxBytes bounds the in-memory store only; bound Redis with maxEvents, maxChannels and idleChannelMs (and Redis maxmemory with a noeviction policy).',
      );
    }
  }

  /** The ioredis client this store uses (for the transport to share, or for a health check). */
  get client(): RedisLink['client'] {
    return this.link.client;
  }

  /** Called by the hub at start-up: fails with a message naming the URL when Redis cannot be reached. */
  connect(): Promise<void> {
    return this.link.connect();
  }

  async append(input: HubEventInput): Promise<HubEvent> {
    const header = encodeHeader(input);
    const { keys, bounds } = this;
    const channels = input.channels;
    const id = (await appendScript.run(
      this.link.client,
      [keys.clock, keys.channels, keys.gone, keys.goneIds, ...channels.map((channel) => keys.history(channel))],
      [
        finite(input.maxEvents ?? bounds.maxEvents),
        ageOf(bounds.maxAgeMs),
        finite(bounds.maxChannels),
        finite(bounds.idleChannelMs),
        header,
        input.body,
        keys.historyPrefix,
        keys.eventsPrefix,
        ...channels,
      ],
    )) as string;
    const event: HubEvent = {
      id,
      channels,
      frame: Buffer.from(`id: ${id}\n${input.body}`, 'utf8'),
      value: input.value,
      meta: input.meta,
      ...(input.last && { last: true }),
    };
    Object.defineProperty(event, PUBLISHED_IN, { value: keys.tag });
    return event;
  }

  async readAfter(channels: readonly string[], lastEventId: string | null): Promise<HubReplay> {
    const { keys, bounds } = this;
    const list = [...new Set(channels)];
    const point = lastEventId === null ? undefined : parseHubId(lastEventId);
    const after = lastEventId === null ? '' : point === undefined ? 'x' : lastEventId;
    const reply = (await readScript.run(
      this.link.client,
      [keys.clock, keys.channels, keys.gone, keys.goneIds, ...list.map((channel) => keys.history(channel))],
      [after, ageOf(bounds.maxAgeMs), finite(bounds.idleChannelMs), finite(bounds.maxChannels), keys.historyPrefix, ...list],
    )) as ReadReply;
    const [known, ...perChannel] = reply;
    let complete = bounds.maxEvents > 0;
    const from = lastEventId === null ? BEFORE_ALL : known === 1 ? point! : BEFORE_ALL;
    if (lastEventId !== null && known !== 1) complete = false;
    for (const [lost] of perChannel) {
      const lostPoint = lost && lost !== '0-0' ? parseHubId(lost) : undefined;
      if (lostPoint && compareHubIds(lostPoint, from) > 0) complete = false;
    }
    return { events: decodeEntries(perChannel.map(([, entries]) => entries)), complete };
  }

  async forget(channel: string): Promise<void> {
    const { keys } = this;
    await this.link.client
      .multi()
      .del(keys.history(channel))
      .zrem(keys.channels, channel)
      .zrem(keys.gone, channel)
      .hdel(keys.goneIds, channel)
      .exec();
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}

/** maxAgeMs for the scripts: 0 is "no age limit". */
function ageOf(maxAgeMs: number | undefined): number {
  return maxAgeMs === undefined || maxAgeMs === Infinity ? 0 : maxAgeMs;
}

/** Redis scripts take numbers; "no bound" is 0 for times and a large count for channels. */
function finite(value: number): number {
  return value === Infinity ? Number.MAX_SAFE_INTEGER : value;
}
