/**
 * Resumable streams' leases in Redis, one hash per key next to its recording (same hash tag):
 * one producer per key across every instance, renewed by its instance; a lease that runs out
 * (the instance died) reads as orphaned, and one follower's instance takes it over to record
 * the end. Times are Redis server time, so instances' clocks do not matter.
 */
import type { RedisClient } from './redis-connection.js';
import { RESUMABLE_CHANNEL_PREFIX, type SseStreamLeases, type StreamState, type StreamStatus } from '../resumable/stream-leases.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';
import { LUA_TIME } from './redis-scripts.js';

/** A lease that nobody renews or reaps is dropped this long after it ran out. */
const ORPHAN_KEEP_MS = 5 * 60 * 1000;

const NOW = `${LUA_TIME}
local now = now_ms()
`;

/** KEYS: state. ARGV: owner, leaseMs, keepMs. */
const claim = new RedisScript(`${NOW}
if redis.call('EXISTS', KEYS[1]) == 1 then
  -- The same claim sent twice (a client that re-sends after a reconnect) is still this owner's.
  local held = redis.call('HMGET', KEYS[1], 'owner', 'status')
  return (held[1] == ARGV[1] and held[2] == 'running') and 1 or 0
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'status', 'running', 'until', fmt(now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]))
return 1
`);

/** KEYS: state, recording. ARGV: owner, leaseMs, keepMs. Returns 1 renewed, 0 held by another owner or ended, -1 gone. */
const renew = new RedisScript(`${NOW}
local state = redis.call('HMGET', KEYS[1], 'owner', 'status')
if not state[1] then return -1 end
if state[1] ~= ARGV[1] or state[2] ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'until', fmt(now + tonumber(ARGV[2])))
local keep = tonumber(ARGV[2]) + tonumber(ARGV[3])
redis.call('PEXPIRE', KEYS[1], keep)
-- A producer whose instance dies unnoticed leaves nothing behind for long: its recording goes too.
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], keep) end
return 1
`);

/** KEYS: state, recording. ARGV: owner, status, lastVisibleId ('' for none), ttlMs. */
const finish = new RedisScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'last', ARGV[3])
redis.call('HDEL', KEYS[1], 'until')
local ttl = math.max(tonumber(ARGV[4]), 1)
redis.call('PEXPIRE', KEYS[1], ttl)
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`);

/** KEYS: state. Returns status, last, orphaned (0/1). */
const state = new RedisScript(`${NOW}
local s = redis.call('HMGET', KEYS[1], 'status', 'last', 'until')
if not s[1] then return false end
local orphaned = (s[1] == 'running' and s[3] and tonumber(s[3]) < now) and 1 or 0
return { s[1], s[2] or '', orphaned }
`);

/** KEYS: state. ARGV: owner, leaseMs, keepMs. */
const takeOver = new RedisScript(`${NOW}
local s = redis.call('HMGET', KEYS[1], 'status', 'until')
if s[1] ~= 'running' or not s[2] or tonumber(s[2]) >= now then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'until', fmt(now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]))
return 1
`);

export class RedisStreamLeases implements SseStreamLeases {
  readonly shared = true;

  constructor(
    private readonly client: () => RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async claim(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await claim.run(this.client(), [this.keys.stream(key)], [owner, leaseMs, ORPHAN_KEEP_MS])) === 1;
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean | undefined> {
    const recording = this.keys.history(RESUMABLE_CHANNEL_PREFIX + key);
    const renewed = (await renew.run(this.client(), [this.keys.stream(key), recording], [owner, leaseMs, ORPHAN_KEEP_MS])) as number;
    return renewed === -1 ? undefined : renewed === 1;
  }

  async finish(key: string, owner: string, channel: string, end: StreamState, ttlMs: number): Promise<void> {
    await finish.run(
      this.client(),
      [this.keys.stream(key), this.keys.history(channel)],
      [owner, end.status, end.lastVisibleId ?? '', ttlMs],
    );
  }

  async state(key: string): Promise<StreamState | undefined> {
    const reply = (await state.run(this.client(), [this.keys.stream(key)], [])) as [StreamStatus, string, number] | null;
    if (!reply) return undefined;
    const [status, last, orphaned] = reply;
    return { status, ...(last !== '' && { lastVisibleId: last }), ...(orphaned === 1 && { orphaned: true }) };
  }

  async takeOver(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await takeOver.run(this.client(), [this.keys.stream(key)], [owner, leaseMs, ORPHAN_KEEP_MS])) === 1;
  }
}
