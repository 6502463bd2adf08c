/**
 * Scale-out through Redis: the fan-out measurement (same client process, same two phases, same
 * publisher) on N clients, first on ONE instance with the in-process hub (the baseline, this
 * project's Express app as in the fan-out tables), then on TWO instances in separate processes
 * sharing one hub through Redis (`RedisHubStore` + `RedisHubTransport` on one key prefix), N/2
 * clients on each, each instance publishing half of the events. Every event then goes through
 * Redis (one EVAL per publish: XADD, trims, PUBLISH) and every instance decodes every event once
 * before writing it to its own clients.
 *
 * Measured on both: events delivered per second (saturation phase) and publish-to-receive p99
 * (fixed-rate phase), server CPU (all instances) and redis-server CPU (from `INFO cpu`).
 * Reported as ratios Redis / in-process; targets: throughput ≥ 0.8×, p99 ≤ 2×.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BenchConfig } from '../bench-config.js';
import type { ConnectResult } from '../clients/client-main.js';
import { COMPETITORS, EXPRESS_ID, REDIS_ID, SCALE_OUT_SERVERS, type Competitor } from '../competitors.js';
import { startClientWorker, startServerWorker, type ClientWorker, type ServerWorker } from '../workers.js';
import { connectClients, measurePhases, type CpuSecondsReader, type FanoutPhases, type FanoutResult } from './fanout.scenario.js';
import { redactUrl } from '../../lib/redis/redis-connection.js';

export const DEFAULT_BENCH_REDIS_URL = 'redis://127.0.0.1:6379';

/** Targets of the scale-out issue: Redis against the in-process hub, same run. */
export const REDIS_TARGETS = { minThroughputRatio: 0.8, maxP99Ratio: 2 } as const;

export interface ScaleOutSide extends FanoutResult {
  /** Server processes the clients were spread over. */
  instances: number;
}

export interface RedisScaleOutResult {
  clients: number;
  /** Where Redis ran (password removed) and its version. */
  redis: { url: string; version: string };
  inProcess: ScaleOutSide;
  twoInstances: ScaleOutSide;
  /** Delivered events/s (saturation): two instances through Redis / one in-process instance. */
  throughputRatio: number;
  /** p99 latency (fixed rate): two instances through Redis / one in-process instance. */
  p99Ratio: number;
  /**
   * Scripts Redis ran while the two instances ran (EVAL/EVALSHA: one per publish) and their mean
   * time inside redis-server, from `INFO commandstats` (anything else using this Redis meanwhile counts too).
   */
  scripts: { calls: number; usecPerCall: number };
}

/** The scenario did not run: Redis could not be reached. */
export interface RedisScaleOutSkipped {
  skipped: string;
}

/** A connection to Redis, or the reason there is none (within about 2 s). */
async function openRedis(url: string): Promise<Redis | string> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  client.on('error', (err: unknown) => (lastError = err));
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (err) {
    client.disconnect();
    const reason = lastError ?? err;
    return `Redis unreachable at ${redactUrl(url)} (${reason instanceof Error ? reason.message : String(reason)})`;
  }
}

/** redis-server's CPU time so far (user + system, all its threads), in seconds. */
function redisCpuSeconds(client: Redis): CpuSecondsReader {
  return async () => {
    const info = await client.info('cpu');
    const read = (name: string) => Number(new RegExp(`^used_cpu_${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return read('sys') + read('user');
  };
}

/** EVAL + EVALSHA calls and their total time so far, from `INFO commandstats`. */
async function scriptStats(client: Redis): Promise<{ calls: number; usec: number }> {
  const stats = await client.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const [, c, u] of stats.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(c);
    usec += Number(u);
  }
  return { calls, usec };
}

async function dropPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

/** Starts the servers and the client side by side, runs `body`, and always stops them all. */
async function withServers<T>(
  starts: Array<() => Promise<ServerWorker>>,
  body: (servers: ServerWorker[], client: ClientWorker) => Promise<T>,
): Promise<T> {
  const [client, ...servers] = await Promise.allSettled([startClientWorker(), ...starts.map((start) => start())]);
  try {
    for (const started of [client, ...servers]) if (started!.status === 'rejected') throw started!.reason;
    return await body(
      servers.map((s) => (s as PromiseFulfilledResult<ServerWorker>).value),
      (client as PromiseFulfilledResult<ClientWorker>).value,
    );
  } finally {
    if (client!.status === 'fulfilled') await client!.value.stop();
    for (const server of servers) if (server.status === 'fulfilled') await server.value.stop();
  }
}

/** N clients spread evenly over `servers` (one fan-out channel shared by all), then both phases. */
async function measureSide(
  competitor: Competitor,
  servers: ServerWorker[],
  client: ClientWorker,
  config: BenchConfig,
  phases: FanoutPhases,
  redisCpu: CpuSecondsReader,
): Promise<ScaleOutSide> {
  const clients = config.redis.clients;
  const started = performance.now();
  const connects: ConnectResult[] = [];
  for (const [i, server] of servers.entries()) {
    const count = Math.floor(clients / servers.length) + (i < clients % servers.length ? 1 : 0);
    connects.push(await connectClients(`${competitor.id} #${i + 1}`, server, client, count, config.connectConcurrency));
  }
  const connectMs = performance.now() - started;
  await Promise.all(servers.map((server) => server.call('gc')));
  const { saturation, fixedRate } = await measurePhases(servers, client, clients, phases, redisCpu);
  await client.call('closeAll');
  return {
    instances: servers.length,
    clients,
    connected: connects.reduce((sum, c) => sum + c.connected, 0),
    connectMs,
    saturation,
    fixedRate,
  };
}

export async function runRedisScaleOut(config: BenchConfig, url: string): Promise<RedisScaleOutResult | RedisScaleOutSkipped> {
  const redis = await openRedis(url);
  if (typeof redis === 'string') return { skipped: redis };
  const keyPrefix = `nes-bench:${randomBytes(5).toString('hex')}`;
  try {
    const version = /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1] ?? '?';
    const redisCpu = redisCpuSeconds(redis);
    const { saturationDeliveriesPerSec, warmupMs, windowMs } = config.redis;
    const phases: FanoutPhases = {
      fixedDeliveriesPerSec: config.fanout.fixedDeliveriesPerSec,
      saturationDeliveriesPerSec,
      warmupMs,
      windowMs,
    };
    const express = COMPETITORS.find((c) => c.id === EXPRESS_ID)!;
    const onRedis = SCALE_OUT_SERVERS.find((c) => c.id === REDIS_ID)!;
    const redisArgs = [`--redis-url=${url}`, `--redis-prefix=${keyPrefix}`];

    const inProcess = await withServers([() => startServerWorker(express, 15_000)], (servers, client) =>
      measureSide(express, servers, client, config, phases, redisCpu),
    );
    const scriptsBefore = await scriptStats(redis);
    const twoInstances = await withServers(
      [() => startServerWorker(onRedis, 15_000, redisArgs), () => startServerWorker(onRedis, 15_000, redisArgs)],
      (servers, client) => measureSide(onRedis, servers, client, config, phases, redisCpu),
    );
    const scriptsAfter = await scriptStats(redis);
    return {
      clients: config.redis.clients,
      redis: { url: redactUrl(url), version },
      inProcess,
      twoInstances,
      throughputRatio: twoInstances.saturation.deliveredPerSec / inProcess.saturation.deliveredPerSec,
      p99Ratio: twoInstances.fixedRate.p99Ms / inProcess.fixedRate.p99Ms,
      scripts: {
        calls: scriptsAfter.calls - scriptsBefore.calls,
        usecPerCall: (scriptsAfter.usec - scriptsBefore.usec) / (scriptsAfter.calls - scriptsBefore.calls),
      },
    };
  } finally {
    await dropPrefix(redis, keyPrefix).catch(() => undefined);
    redis.disconnect();
  }
}
