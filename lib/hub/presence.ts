/**
 * Who is connected on each channel, by the key the app gives (a user id): a user with three
 * tabs counts once, `join` is announced on the first connection and `leave` on the last.
 */
import type { MaybePromise } from './sse-hub-store.js';

/** One entry of a channel's roster. */
export interface SsePresenceEntry<T = unknown> {
  /** The `presenceKey` given to `subscribe()` (or the JSON of the presence data). */
  readonly key: string;
  /** The presence data of the key's first connection. */
  readonly data: T;
  /** Open subscriptions of this key on the channel (tabs). */
  readonly connections: number;
}

/**
 * Who is connected where presence is counted: in this process by default; a transport shared by
 * instances (Redis) provides one that counts across all of them.
 */
export interface SsePresenceBook {
  /** Counts one more connection of `key` on each channel; resolves the channels where it is the first. */
  join(channels: readonly string[], key: string, data: unknown): MaybePromise<string[]>;
  /** Counts one less; resolves the channels where it was the last, with its data. */
  leave(channels: readonly string[], key: string): MaybePromise<{ channels: string[]; data: unknown }>;
  list(channel: string): MaybePromise<SsePresenceEntry[]>;
  /** Open subscriptions on `channel` (or in total) across instances. */
  countConnections?(channel?: string): MaybePromise<number>;
  /** This instance's subscriptions on `channels` changed; `count` reads them (a shared book publishes them now and then). */
  countsChanged?(channels: readonly string[], count: (channel?: string) => number): void;
  /** Keys of instances that went away left: `leave` is announced for them. */
  onOrphanedLeave?(listener: (channels: string[], data: unknown) => void): () => void;
  /** This instance leaves (app shutdown): what it counted is taken back; `leave`s it owed are announced. */
  retire?(): MaybePromise<void>;
  clear(): void;
}

interface Member {
  data: unknown;
  connections: number;
}

export class PresenceRoster implements SsePresenceBook {
  private readonly byChannel = new Map<string, Map<string, Member>>();

  /** Counts one more connection of `key` on each channel; returns the channels where it is the first. */
  join(channels: readonly string[], key: string, data: unknown): string[] {
    const first: string[] = [];
    for (const channel of channels) {
      let members = this.byChannel.get(channel);
      if (!members) {
        members = new Map();
        this.byChannel.set(channel, members);
      }
      const member = members.get(key);
      if (member) member.connections++;
      else {
        members.set(key, { data, connections: 1 });
        first.push(channel);
      }
    }
    return first;
  }

  /** Counts one connection of `key` less on each channel; returns the channels where it was the last (with its data). */
  leave(channels: readonly string[], key: string): { channels: string[]; data: unknown } {
    const last: string[] = [];
    let data: unknown;
    for (const channel of channels) {
      const members = this.byChannel.get(channel);
      const member = members?.get(key);
      if (!members || !member) continue;
      if (--member.connections > 0) continue;
      members.delete(key);
      if (members.size === 0) this.byChannel.delete(channel);
      last.push(channel);
      data = member.data;
    }
    return { channels: last, data };
  }

  list(channel: string): SsePresenceEntry[] {
    return [...(this.byChannel.get(channel) ?? [])].map(([key, member]) => ({ key, data: member.data, connections: member.connections }));
  }

  clear(): void {
    this.byChannel.clear();
  }
}

/** The key a presence counts under when the app gives none: its data as JSON (objects with keys in the same order match). */
export function presenceKeyOf(data: unknown): string {
  try {
    return JSON.stringify(data) ?? String(data);
  } catch {
    return String(data);
  }
}
