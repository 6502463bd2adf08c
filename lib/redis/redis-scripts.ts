/**
 * The Lua scripts of the Redis store: each runs atomically, so an id is assigned, stored on every
 * channel and published in one step (the order of ids is the order of publishes on every
 * instance), and a read sees one consistent history. Keys are all under one hash tag (see
 * redis-keys.ts), so the scripts run on Redis Cluster too.
 *
 * Trimming deletes entries with XDEL (not XADD MAXLEN/MINID): Redis then records the newest id
 * it dropped (`max-deleted-entry-id`), which tells a resume from before it that it missed events.
 */
import { RedisScript } from './redis-script.js';

/** Lua: `fmt(n)`, an integer as text (13-digit ms included), and `now_ms()`, Redis server time in ms. */
export const LUA_TIME = `
local function fmt(n) return string.format('%d', n) end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Helpers shared by the scripts. KEYS[1..4]: clock, channels, gone, gone-ids. */
const HELPERS = `
local CLOCK, CHANNELS, GONE, GONE_IDS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local MAX_TOMBSTONES = 10000
${LUA_TIME}local function parse(id)
  if not id then return nil end
  local d = string.find(id, '-', 1, true)
  if not d then return nil end
  return tonumber(string.sub(id, 1, d - 1)), tonumber(string.sub(id, d + 1))
end
local function cmp(a, b)
  local ams, aseq = parse(a)
  local bms, bseq = parse(b)
  if ams ~= bms then return ams < bms and -1 or 1 end
  if aseq ~= bseq then return aseq < bseq and -1 or 1 end
  return 0
end
local function del_entries(key, entries)
  local ids = {}
  for _, e in ipairs(entries) do
    ids[#ids + 1] = e[1]
    if #ids == 1000 then redis.call('XDEL', key, unpack(ids)); ids = {} end
  end
  if #ids > 0 then redis.call('XDEL', key, unpack(ids)) end
end
local function trim(key, max_events, age_cutoff)
  local len = redis.call('XLEN', key)
  if len > max_events then del_entries(key, redis.call('XRANGE', key, '-', '+', 'COUNT', len - max_events)) end
  if age_cutoff then
    local old = redis.call('XRANGE', key, '-', '(' .. fmt(age_cutoff) .. '-0')
    if #old > 0 then del_entries(key, old) end
  end
end
local function max_deleted(key)
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'max-deleted-entry-id' then return info[i + 1] end
  end
  return '0-0'
end
-- Forgets a channel, leaving its newest dropped id as a tombstone (past MAX_TOMBSTONES, the
-- oldest fold into one watermark: a spurious gap is safe, a silent loss is not).
local function forget_channel(prefix, name, now)
  local key = prefix .. name
  local through
  if redis.call('EXISTS', key) == 1 then
    local newest = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
    through = newest[1] and newest[1][1] or max_deleted(key)
    redis.call('DEL', key)
  end
  redis.call('ZREM', CHANNELS, name)
  if not through or through == '0-0' then return end
  redis.call('ZADD', GONE, now, name)
  redis.call('HSET', GONE_IDS, name, through)
  if redis.call('ZCARD', GONE) <= MAX_TOMBSTONES then return end
  local oldest = redis.call('ZPOPMIN', GONE, 1)[1]
  local id = redis.call('HGET', GONE_IDS, oldest)
  redis.call('HDEL', GONE_IDS, oldest)
  local floor = redis.call('HGET', CLOCK, 'goneFloor')
  if id and (not floor or cmp(id, floor) > 0) then redis.call('HSET', CLOCK, 'goneFloor', id) end
end
-- Channels idle past idle_ms and (unless max_channels is nil) the least recently appended past
-- max_channels are forgotten, never one of \`keep\` (those just appended: scores tie within a
-- millisecond); a bounded amount per call.
local function evict(prefix, now, idle_ms, max_channels, keep)
  if idle_ms > 0 then
    local idle = redis.call('ZRANGEBYSCORE', CHANNELS, '-inf', '(' .. fmt(now - idle_ms), 'LIMIT', 0, 100)
    for _, name in ipairs(idle) do forget_channel(prefix, name, now) end
  end
  if not max_channels then return end
  local over = math.min(redis.call('ZCARD', CHANNELS) - max_channels, 100)
  if over <= 0 then return end
  local kept = 0
  for _ in pairs(keep) do kept = kept + 1 end
  for _, name in ipairs(redis.call('ZRANGE', CHANNELS, 0, over + kept - 1)) do
    if over <= 0 then break end
    if not keep[name] then
      forget_channel(prefix, name, now)
      over = over - 1
    end
  end
end
`;

/**
 * Appends one event. KEYS[5..]: the channels' stream keys.
 * ARGV: maxEvents, maxAgeMs (0: none), maxChannels, idleMs (0: none), header, body,
 * history key prefix, pub/sub prefix, then the channel names. Returns the id.
 */
export const APPEND_SCRIPT = `${HELPERS}
local max_events, max_age, max_channels, idle_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local header, body, hist_prefix, ev_prefix = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local now = now_ms()
local clock = redis.call('HMGET', CLOCK, 'ms', 'seq', 'goneFloor')
local ms, seq = now, 0
if clock[1] then
  local last_ms = tonumber(clock[1])
  if now <= last_ms then ms, seq = last_ms, tonumber(clock[2]) + 1 end
else
  -- A new dataset (first use, or Redis lost its data): ids of an earlier one are unknown to it.
  redis.call('HSET', CLOCK, 'born', fmt(now))
end
local id = fmt(ms) .. '-' .. fmt(seq)
redis.call('HSET', CLOCK, 'ms', fmt(ms), 'seq', fmt(seq))
-- Idle channels first (one coming back starts out knowing what it lost); the count after the append, as in memory.
evict(hist_prefix, now, idle_ms, nil, {})
local message = 's' .. id .. '\\n' .. header .. body
for i = 5, #KEYS do
  local key, name = KEYS[i], ARGV[i + 4]
  if max_events > 0 then
    local fresh = redis.call('EXISTS', key) == 0
    redis.call('XADD', key, id, 'h', header, 'b', body)
    if fresh then
      -- A channel seen before starts out knowing what it already lost.
      local lost = redis.call('HGET', GONE_IDS, name) or clock[3]
      if lost then redis.call('XSETID', key, id, 'MAXDELETEDID', lost) end
      redis.call('ZREM', GONE, name)
      redis.call('HDEL', GONE_IDS, name)
    end
    trim(key, max_events, max_age > 0 and now - max_age or nil)
    redis.call('ZADD', CHANNELS, now, name)
  end
  redis.call('PUBLISH', ev_prefix .. name, message)
end
local appended = {}
for i = 5, #KEYS do appended[ARGV[i + 4]] = true end
evict(hist_prefix, now, 0, max_channels, appended)
return id
`;

/**
 * Reads what follows an id. KEYS[5..]: the channels' stream keys.
 * ARGV: after ('' = from the start, else an id; unparseable ids arrive as 'x'), maxAgeMs, idleMs,
 * maxChannels, history key prefix, then the channel names.
 * Returns { known (0/1), { lost id or false, entries } per channel }.
 */
export const READ_SCRIPT = `${HELPERS}
local after, max_age, idle_ms, max_channels, hist_prefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local now = now_ms()
evict(hist_prefix, now, idle_ms, max_channels, {})
local clock = redis.call('HMGET', CLOCK, 'born', 'ms', 'seq', 'goneFloor')
local known = 0
local start = '-'
if after ~= '' and after ~= 'x' and clock[1] then
  local newest = clock[2] .. '-' .. clock[3]
  if cmp(after, clock[1] .. '-0') >= 0 and cmp(after, newest) <= 0 then
    known = 1
    start = '(' .. after
  end
end
local out = { known }
for i = 5, #KEYS do
  local key, name = KEYS[i], ARGV[i + 1]
  local lost
  local entries = {}
  if redis.call('EXISTS', key) == 1 then
    if max_age > 0 then trim(key, 4294967295, now - max_age) end
    lost = max_deleted(key)
    entries = redis.call('XRANGE', key, start, '+')
  else
    lost = redis.call('HGET', GONE_IDS, name) or clock[4]
  end
  out[#out + 1] = { lost or false, entries }
end
return out
`;

export const appendScript = new RedisScript(APPEND_SCRIPT);
export const readScript = new RedisScript(READ_SCRIPT);
