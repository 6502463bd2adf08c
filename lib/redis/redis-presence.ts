/**
 * Presence and subscription counts across instances. Each instance keeps its own share in Redis
 * (which keys it has on which channel, how many subscriptions per channel) next to a cluster-wide
 * count per channel and key, so `join` is announced on a user's first connection anywhere and
 * `leave` on the last. Instances announce themselves every third of `instanceTimeoutMs`; the
 * share of one that stopped (crashed) is taken back by the next instance that notices, which
 * announces the `leave`s it owed. All keys are under the hub's hash tag.
 */
import { Logger } from '@nestjs/common';
import type { RedisClient } from './redis-connection.js';
import { Listeners, reportListenerError } from '../hub/listeners.js';
import type { SsePresenceBook, SsePresenceEntry } from '../hub/presence.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** How long an instance counts as alive without announcing itself. */
export const DEFAULT_INSTANCE_TIMEOUT_MS = 15_000;
/** Subscription counts are written at most this often. */
const COUNTS_FLUSH_MS = 250;

const logger = new Logger('SseHub');

/** KEYS: presence hash of each channel, then the instance's share. ARGV: key, data JSON, channels... Returns the channels where the key is first. */
const join = new RedisScript(`
local n = #KEYS - 1
local share = KEYS[#KEYS]
local first = {}
for i = 1, n do
  local channel = ARGV[2 + i]
  local count = redis.call('HINCRBY', KEYS[i], 'n:' .. ARGV[1], 1)
  if count == 1 then
    redis.call('HSET', KEYS[i], 'd:' .. ARGV[1], ARGV[2])
    first[#first + 1] = channel
  end
  redis.call('HINCRBY', share, channel .. '\\n' .. ARGV[1], 1)
end
return first
`);

/** KEYS: presence hash of each channel, then the instance's share. ARGV: key, channels... Returns { data, channels where it was the last... }. */
const leave = new RedisScript(`
local n = #KEYS - 1
local share = KEYS[#KEYS]
local data = false
local last = {}
for i = 1, n do
  local channel = ARGV[1 + i]
  local field = channel .. '\\n' .. ARGV[1]
  local mine = tonumber(redis.call('HGET', share, field) or '0')
  if mine > 0 then
    if mine == 1 then redis.call('HDEL', share, field) else redis.call('HINCRBY', share, field, -1) end
    local count = redis.call('HINCRBY', KEYS[i], 'n:' .. ARGV[1], -1)
    if count <= 0 then
      data = redis.call('HGET', KEYS[i], 'd:' .. ARGV[1]) or data
      redis.call('HDEL', KEYS[i], 'n:' .. ARGV[1], 'd:' .. ARGV[1])
      last[#last + 1] = channel
    end
  end
end
return { data, last }
`);

/**
 * Takes back the share of instances that stopped announcing themselves. KEYS: instances set.
 * ARGV: tag, now (ms, instances' clocks: the scores are theirs). Returns channel, data JSON pairs
 * whose last connection was theirs.
 */
const reap = new RedisScript(`
local tag, now = ARGV[1], tonumber(ARGV[2])
local left = {}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now), 'LIMIT', 0, 10)
for _, instance in ipairs(dead) do
  if redis.call('ZREM', KEYS[1], instance) == 1 then
    local share = tag .. ':presence-of:' .. instance
    local fields = redis.call('HGETALL', share)
    for i = 1, #fields, 2 do
      local nl = string.find(fields[i], '\\n', 1, true)
      local channel = string.sub(fields[i], 1, nl - 1)
      local key = string.sub(fields[i], nl + 1)
      local hash = tag .. ':presence:' .. channel
      local count = redis.call('HINCRBY', hash, 'n:' .. key, -tonumber(fields[i + 1]))
      if count <= 0 then
        left[#left + 1] = channel
        left[#left + 1] = redis.call('HGET', hash, 'd:' .. key) or 'null'
        redis.call('HDEL', hash, 'n:' .. key, 'd:' .. key)
      end
    end
    redis.call('DEL', share, tag .. ':conns-of:' .. instance)
  end
end
return left
`);

export class RedisPresence implements SsePresenceBook {
  private readonly dirty = new Set<string>();
  private count: ((channel?: string) => number) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly orphanListeners = new Listeners<[string[], unknown]>(
    reportListenerError((message, stack) => logger.error(message, stack), 'presence listener'),
  );
  /** This instance's share as it should be in Redis: rebuilt if Redis dropped it (a missed heartbeat, lost data). */
  private readonly mine = new Map<string, { channel: string; key: string; data: string; connections: number }>();
  /** Channels whose subscription counts this instance reported. */
  private readonly reported = new Set<string>();
  private beats = 0;
  private closed = false;

  constructor(
    private readonly client: () => RedisClient,
    private readonly keys: RedisKeys,
    private readonly instanceId: string,
    private readonly timeoutMs: number,
  ) {}

  /** Announces this instance now and every third of the timeout; takes back dead instances' shares. */
  async start(): Promise<void> {
    await this.beat();
    this.heartbeat = setInterval(
      () => void this.beat().catch(warn('announce this instance')),
      Math.max(50, Math.floor(this.timeoutMs / 3)),
    );
    this.heartbeat.unref();
  }

  async join(channels: readonly string[], key: string, data: unknown): Promise<string[]> {
    const keys = [...channels.map((channel) => this.keys.presence(channel)), this.share];
    const json = JSON.stringify(data) ?? 'null';
    const first = (await join.run(this.client(), keys, [key, json, ...channels])) as string[];
    for (const channel of channels) {
      const entry = this.mine.get(`${channel}\n${key}`);
      if (entry) entry.connections++;
      else this.mine.set(`${channel}\n${key}`, { channel, key, data: json, connections: 1 });
    }
    return first;
  }

  async leave(channels: readonly string[], key: string): Promise<{ channels: string[]; data: unknown }> {
    for (const channel of channels) {
      const entry = this.mine.get(`${channel}\n${key}`);
      if (entry && --entry.connections <= 0) this.mine.delete(`${channel}\n${key}`);
    }
    const keys = [...channels.map((channel) => this.keys.presence(channel)), this.share];
    const [data, last] = (await leave.run(this.client(), keys, [key, ...channels])) as [string | null, string[]];
    return { channels: last, data: data ? (JSON.parse(data) as unknown) : undefined };
  }

  async list(channel: string): Promise<SsePresenceEntry[]> {
    const fields = await this.client().hgetall(this.keys.presence(channel));
    const entries: SsePresenceEntry[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (!field.startsWith('n:')) continue;
      const connections = Number(value);
      if (!(connections > 0)) continue;
      const key = field.slice(2);
      const data = fields[`d:${key}`];
      entries.push({ key, data: data === undefined ? undefined : (JSON.parse(data) as unknown), connections });
    }
    return entries;
  }

  async countConnections(channel?: string): Promise<number> {
    await this.flush();
    const client = this.client();
    const alive = await client.zrangebyscore(this.keys.instances, Date.now(), '+inf');
    if (alive.length === 0) return this.count?.(channel) ?? 0;
    const pipeline = client.pipeline();
    for (const instance of alive) pipeline.hget(this.countsOf(instance), channel ?? '');
    let total = 0;
    for (const [err, value] of (await pipeline.exec()) ?? []) if (!err && value) total += Number(value);
    return total;
  }

  countsChanged(channels: readonly string[], count: (channel?: string) => number): void {
    if (this.closed) return;
    this.count = count;
    for (const channel of channels) this.dirty.add(channel);
    this.dirty.add('');
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.flush().catch(warn('write subscription counts')), COUNTS_FLUSH_MS);
    this.flushTimer.unref();
  }

  onOrphanedLeave(listener: (channels: string[], data: unknown) => void): () => void {
    return this.orphanListeners.add(listener);
  }

  /** Stops announcing and reporting (the app closes). */
  clear(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.flushTimer);
    this.heartbeat = undefined;
    this.flushTimer = undefined;
    this.dirty.clear();
    this.mine.clear();
    this.reported.clear();
  }

  /**
   * A graceful shutdown: this instance's share is taken back at once (the leaves it owes are
   * announced), so the counts never include an instance that is gone.
   */
  async retire(): Promise<void> {
    this.clear();
    await this.client().zadd(this.keys.instances, 0, this.instanceId);
    await this.reapDead();
  }

  private get share(): string {
    return `${this.keys.tag}:presence-of:${this.instanceId}`;
  }

  private countsOf(instance: string): string {
    return `${this.keys.tag}:conns-of:${instance}`;
  }

  private async beat(): Promise<void> {
    const client = this.client();
    // Instances' clocks differ a little; the timeout is far larger than that.
    const replies = await client
      .multi()
      .zadd(this.keys.instances, Date.now() + this.timeoutMs, this.instanceId)
      .pexpire(this.countsOf(this.instanceId), this.timeoutMs * 4)
      .exec();
    const added = replies?.[0]?.[1] === 1;
    // Not the first announcement, yet new: Redis had dropped this instance (it looked dead, or
    // Redis lost its data) and its share was taken back. Put it back.
    if (added && this.beats > 0) await this.restore();
    this.beats++;
    await this.reapDead();
  }

  private async restore(): Promise<void> {
    const multi = this.client().multi();
    for (const { channel, key, data, connections } of this.mine.values()) {
      const hash = this.keys.presence(channel);
      multi.hincrby(hash, `n:${key}`, connections).hsetnx(hash, `d:${key}`, data).hincrby(this.share, `${channel}\n${key}`, connections);
    }
    await multi.exec();
    for (const channel of this.reported) this.dirty.add(channel);
    if (this.count) await this.flush();
  }

  /** Takes back the shares of instances that stopped announcing themselves; announces the leaves they owed. */
  private async reapDead(): Promise<void> {
    const left = (await reap.run(this.client(), [this.keys.instances], [this.keys.tag, Date.now()])) as string[];
    for (let i = 0; i < left.length; i += 2) {
      const data = JSON.parse(left[i + 1]!) as unknown;
      this.orphanListeners.emit([left[i]!], data);
    }
  }

  private async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.dirty.size === 0 || !this.count || this.closed) return;
    const counts = this.countsOf(this.instanceId);
    const multi = this.client().multi();
    for (const channel of this.dirty) {
      const n = this.count(channel === '' ? undefined : channel);
      if (n > 0) {
        multi.hset(counts, channel, n);
        this.reported.add(channel);
      } else {
        multi.hdel(counts, channel);
        this.reported.delete(channel);
      }
    }
    this.dirty.clear();
    multi.pexpire(counts, this.timeoutMs * 4);
    await multi.exec();
  }
}

function warn(what: string): (err: unknown) => void {
  return (err) => logger.warn(`Redis presence: could not ${what}: ${(err as Error).message}`);
}
