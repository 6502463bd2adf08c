/**
 * Who is connected on each channel, by the key the app gives (a user id): a user with three
 * tabs counts once, `join` is announced on the first connection and `leave` on the last.
 */

/** One entry of a channel's roster. */
export interface SsePresenceEntry<T = unknown> {
  /** The `presenceKey` given to `subscribe()` (or the JSON of the presence data). */
  readonly key: string;
  /** The presence data of the key's first connection. */
  readonly data: T;
  /** Open subscriptions of this key on the channel (tabs). */
  readonly connections: number;
}

interface Member {
  data: unknown;
  connections: number;
}

export class PresenceRoster {
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
