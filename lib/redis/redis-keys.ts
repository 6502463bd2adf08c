/**
 * Where a hub keeps its state in Redis. Every key starts with the hash tag `{<keyPrefix>}`, so all
 * of one hub's keys live in one Cluster slot: appending an event touches the id clock and every
 * channel's stream in one script, and a resumable stream's lease and its recording change
 * together. (One hub's Redis work therefore runs on one Cluster node; hubs with different
 * prefixes spread over the nodes.) Pub/sub channel names carry the same prefix. Pure.
 */

export const DEFAULT_REDIS_KEY_PREFIX = 'sse';

export class RedisKeys {
  /** `{prefix}`: the hash tag every key starts with. */
  readonly tag: string;
  /** Hash: `ms`/`seq` of the newest id, `born` (the first ms of this dataset), `goneFloor`. */
  readonly clock: string;
  /** Sorted set: channel → last append (ms), least recently appended first. */
  readonly channels: string;
  /** Sorted set: forgotten channel → when; with `goneIds`, their last dropped id. */
  readonly gone: string;
  readonly goneIds: string;
  /** Pub/sub channel of control messages (stop a resumable stream where it runs). */
  readonly control: string;
  /** Sorted set: instance id → until when it counts as alive (ms). */
  readonly instances: string;

  constructor(keyPrefix: string = DEFAULT_REDIS_KEY_PREFIX) {
    if (typeof keyPrefix !== 'string' || keyPrefix === '' || /[{}]/.test(keyPrefix)) {
      throw new TypeError(
        `nest-event-stream/redis: keyPrefix is ${JSON.stringify(keyPrefix)}; expected a non-empty string without braces (it becomes the Cluster hash tag "{keyPrefix}").`,
      );
    }
    this.tag = `{${keyPrefix}}`;
    this.clock = `${this.tag}:clock`;
    this.channels = `${this.tag}:channels`;
    this.gone = `${this.tag}:gone`;
    this.goneIds = `${this.tag}:gone-ids`;
    this.control = `${this.tag}:control`;
    this.instances = `${this.tag}:instances`;
  }

  /** A channel's history: a Redis Stream. */
  history(channel: string): string {
    return `${this.tag}:ch:${channel}`;
  }

  /** The prefix of `history()` keys (scripts build the key of a channel they evict). */
  get historyPrefix(): string {
    return `${this.tag}:ch:`;
  }

  /** The pub/sub channel a hub channel's events are published on. */
  events(channel: string): string {
    return `${this.tag}:ev:${channel}`;
  }

  get eventsPrefix(): string {
    return `${this.tag}:ev:`;
  }

  /** Hash: a resumable stream's lease and state. */
  stream(key: string): string {
    return `${this.tag}:rs:${key}`;
  }

  /** Hash: `n:<presence key>` → connections across instances, `d:<presence key>` → its data (JSON), for one channel. */
  presence(channel: string): string {
    return `${this.tag}:presence:${channel}`;
  }
}
