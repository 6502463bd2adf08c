/**
 * The sample's hub: in memory by default; with `redisUrl`, `RedisHubStore` and `RedisHubTransport` on one key
 * prefix, so every instance started with the same URL and prefix sees every publish, resumes any client
 * and counts presence across instances.
 */
import type { SseHubOptions } from '../lib/index.js';
import { RedisHubStore, RedisHubTransport } from '../lib/redis/index.js';
import type { SampleOptions } from './sample-options.js';

type HubSettings = Pick<SampleOptions, 'historyMaxEvents' | 'redisUrl' | 'redisKeyPrefix'>;

/** The hub part of the sample's `SseModule.forRoot()` options. */
export function sampleHubOptions(options: HubSettings): Pick<SseHubOptions, 'history' | 'store' | 'transport'> {
  const history = { maxEvents: options.historyMaxEvents };
  if (!options.redisUrl) return { history };
  const connection = { url: options.redisUrl, keyPrefix: options.redisKeyPrefix };
  return {
    // With a store of its own the bounds go on the store: SseModule's `history` bounds the in-memory one.
    store: new RedisHubStore({ ...connection, history }),
    transport: new RedisHubTransport(connection),
  };
}

/** One line for the log: which hub this instance runs on (a Redis password never shows). */
export function describeSampleHub(options: HubSettings): string {
  return options.redisUrl
    ? `Hub on Redis at ${redactRedisUrl(options.redisUrl)} (prefix ${options.redisKeyPrefix}): instances on the same Redis and prefix share it.`
    : 'Hub in memory: set REDIS_URL to share it between instances (npm run start:cluster).';
}

/** The URL with its password hidden. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an invalid URL)';
  }
}
