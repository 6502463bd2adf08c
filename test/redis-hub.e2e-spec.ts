/**
 * The hub across instances through Redis: two Nest apps (one Express, one Fastify) on one Redis
 * key space stand for two instances behind a load balancer. Publishes cross over, a client
 * resumes on the other instance, Redis going away and coming back loses no resolved publish.
 */
import { Controller, Module, Param, type Type } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { LastEventId, Sse, SseHub, SseModule, SSE_GAP_EVENT, type SseHistoryOptions } from '../lib/index.js';
import { Redis } from 'ioredis';
import { RedisHubStore, RedisHubTransport } from '../lib/redis/index.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from './support/platforms.js';
import { openRaw, type RawResponse } from './support/raw-http.js';
import { dropPrefix, freePort, PrivateRedis, REDIS_URL, uniquePrefix } from './support/redis.js';
import { until } from './support/until.js';

@Controller()
class HubController {
  constructor(private readonly hub: SseHub) {}

  @Sse('sub/:channels')
  sub(@Param('channels') channels: string, @LastEventId() lastEventId?: string) {
    return this.hub.subscribe(channels.split(','), { lastEventId });
  }

  @Sse('room/:user')
  room(@Param('user') user: string) {
    return this.hub.subscribe('room', { presence: { user }, presenceKey: user });
  }
}

const INSTANCE_TIMEOUT_MS = 300;

function redisModule(keyPrefix: string, url = REDIS_URL, history?: SseHistoryOptions): Type<unknown> {
  @Module({
    imports: [
      SseModule.forRoot({
        heartbeat: false,
        retry: 50,
        store: new RedisHubStore({ url, keyPrefix, history }),
        transport: new RedisHubTransport({ url, keyPrefix, instanceTimeoutMs: INSTANCE_TIMEOUT_MS }),
      }),
    ],
    controllers: [HubController],
  })
  class RedisHubModule {}
  return RedisHubModule;
}

/** Cuts every pub/sub connection of a Redis (the instances' subscriptions): ioredis reconnects them. */
async function killSubscriptions(url: string): Promise<void> {
  const admin = new Redis(url);
  try {
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  } finally {
    admin.disconnect();
  }
}

const other = (platform: Platform): Platform => (platform === 'express' ? 'fastify' : 'express');
const datas = (raw: RawResponse) => parseSse(raw.text()).events.map((e) => e.data);
const idsOf = (raw: RawResponse) => parseSse(raw.text()).events.map((e) => e.id);

describe.each(PLATFORMS)('hub on Redis, two instances (%s + the other)', (platform) => {
  let keyPrefix: string;
  let a: RunningApp;
  let b: RunningApp;
  const open: RawResponse[] = [];

  async function start(history?: SseHistoryOptions, url = REDIS_URL): Promise<void> {
    a = await startApp(platform, redisModule(keyPrefix, url, history));
    b = await startApp(other(platform), redisModule(keyPrefix, url, history));
  }
  const raw = async (url: string, headers?: Record<string, string>) => {
    const response = await openRaw(url, { headers });
    open.push(response);
    return response;
  };

  beforeEach(() => {
    keyPrefix = uniquePrefix('hub');
  });
  afterEach(async () => {
    for (const response of open.splice(0)) response.destroy();
    await a?.close();
    await b?.close();
    await dropPrefix(keyPrefix);
  });

  it('delivers a publish on either instance to the subscribers of both, with the same ids', async () => {
    await start();
    const onA = recordEventSource(`${a.url}/sub/room`);
    const onB = recordEventSource(`${b.url}/sub/room`);
    try {
      await until(() => onA.opens === 1 && onB.opens === 1, 5000, 'both open');
      const first = await a.app.get(SseHub).publish('room', { from: 'a' });
      const second = await b.app.get(SseHub).publish('room', { from: 'b' });
      for (const recorder of [onA, onB]) {
        const events = await recorder.waitForEvents(2);
        expect(events.map((e) => [e.data, e.lastEventId])).toEqual([
          ['{"from":"a"}', first],
          ['{"from":"b"}', second],
        ]);
      }
    } finally {
      onA.close();
      onB.close();
    }
  });

  it('resumes on the other instance from the Last-Event-ID of the first: no gap, no duplicate, then live', async () => {
    await start();
    const hubA = a.app.get(SseHub);
    const hubB = b.app.get(SseHub);
    const first = await raw(`${a.url}/sub/news`);
    for (let n = 1; n <= 3; n++) await hubA.publish('news', n);
    await first.waitFor(() => datas(first).length === 3);
    const lastId = idsOf(first)[2]!;
    first.destroy();
    for (let n = 4; n <= 6; n++) await (n % 2 ? hubA : hubB).publish('news', n);
    const resumed = await raw(`${b.url}/sub/news`, { 'last-event-id': lastId });
    await resumed.waitFor(() => datas(resumed).length === 3);
    await hubA.publish('news', 7);
    await resumed.waitFor(() => datas(resumed).length === 4);
    expect(datas(resumed)).toEqual(['4', '5', '6', '7']);
  });

  it('resumes a subscription of several channels exactly with one Last-Event-ID, on the other instance', async () => {
    await start();
    const hubA = a.app.get(SseHub);
    const first = await raw(`${a.url}/sub/x,y`);
    await hubA.publish('x', 'x1');
    await hubA.publish(['x', 'y'], 'xy2');
    await first.waitFor(() => datas(first).length === 2);
    const lastId = idsOf(first)[1]!;
    first.destroy();
    await hubA.publish('y', 'y3');
    await hubA.publish('z', 'z4');
    await b.app.get(SseHub).publish(['y', 'x'], 'yx5');
    const resumed = await raw(`${b.url}/sub/y,x`, { 'last-event-id': lastId });
    await resumed.waitFor(() => datas(resumed).length === 2);
    expect(datas(resumed)).toEqual(['y3', 'yx5']);
  });

  it('tells a client resuming from an id Redis no longer holds (trimmed), then sends what it holds', async () => {
    await start({ maxEvents: 3 });
    const hubA = a.app.get(SseHub);
    const ids: string[] = [];
    for (let n = 1; n <= 6; n++) ids.push(await hubA.publish('t', n));
    const resumed = await raw(`${b.url}/sub/t`, { 'last-event-id': ids[0]! });
    await resumed.waitFor(() => parseSse(resumed.text()).events.length === 4);
    const events = parseSse(resumed.text()).events;
    expect(events[0]).toMatchObject({ event: SSE_GAP_EVENT });
    expect(JSON.parse(events[0]!.data)).toEqual({ lastEventId: ids[0], channels: ['t'] });
    expect(events.slice(1).map((e) => e.data)).toEqual(['4', '5', '6']);
  });

  it('counts presence across instances: a user with tabs on both joins once, leaves with the last tab; the roster and counts span both', async () => {
    await start();
    const watcher = await raw(`${a.url}/room/ann`);
    const bobOnA = await raw(`${a.url}/room/bob`);
    await watcher.waitFor(() => parseSse(watcher.text()).events.some((e) => e.event === 'join' && e.data.includes('bob')));
    const bobOnB = await raw(`${b.url}/room/bob`);
    const hubB = b.app.get(SseHub);
    await until(async () => (await hubB.roster('room')).find((m) => m.key === 'bob')?.connections === 2, 5000, 'bob twice');
    expect((await a.app.get(SseHub).roster('room')).map((m) => [m.key, m.data, m.connections]).sort()).toEqual([
      ['ann', { user: 'ann' }, 1],
      ['bob', { user: 'bob' }, 2],
    ]);
    await until(async () => (await hubB.countConnections('room')) === 3, 5000, 'three subscriptions across both');
    expect(hubB.connections('room')).toBe(1);
    bobOnA.destroy();
    await until(async () => (await hubB.roster('room')).find((m) => m.key === 'bob')?.connections === 1, 5000, 'bob once');
    bobOnB.destroy();
    await watcher.waitFor(() => parseSse(watcher.text()).events.some((e) => e.event === 'leave'));
    const presence = parseSse(watcher.text())
      .events.filter((e) => e.data.includes('bob'))
      .map((e) => e.event);
    expect(presence).toEqual(['join', 'leave']);
    expect((await hubB.roster('room')).map((m) => m.key)).toEqual(['ann']);
  });

  it("takes back a dead instance's presence: its users leave, the roster forgets them", async () => {
    await start();
    const watcher = await raw(`${b.url}/room/ann`);
    const dead = new RedisHubTransport({ url: REDIS_URL, keyPrefix, instanceTimeoutMs: INSTANCE_TIMEOUT_MS });
    await dead.connect();
    expect(await dead.presence.join(['room'], 'carol', { user: 'carol' })).toEqual(['room']);
    expect((await a.app.get(SseHub).roster('room')).map((m) => m.key).sort()).toEqual(['ann', 'carol']);
    // Gone without a word (a crash): it stops announcing itself.
    await dead.close();
    await watcher.waitFor(() => parseSse(watcher.text()).events.some((e) => e.event === 'leave' && e.data.includes('carol')), 5000);
    expect((await a.app.get(SseHub).roster('room')).map((m) => m.key)).toEqual(['ann']);
  });
});

/** The README's set-up: forRootAsync with ConfigService. */
function configuredModule(keyPrefix: string): Type<unknown> {
  @Module({
    imports: [
      ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ REDIS_URL })] }),
      SseModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => {
          const url = config.get<string>('REDIS_URL', 'redis://127.0.0.1:6379');
          return {
            heartbeat: false,
            store: new RedisHubStore({ url, keyPrefix, history: { maxEvents: 500 } }),
            transport: new RedisHubTransport({ url, keyPrefix }),
          };
        },
      }),
    ],
    controllers: [HubController],
  })
  class ConfiguredModule {}
  return ConfiguredModule;
}

describe('hub on Redis configured with forRootAsync and ConfigService (as in the README)', () => {
  it('two instances share publishes and resume', async () => {
    const keyPrefix = uniquePrefix('config');
    const a = await startApp('express', configuredModule(keyPrefix));
    const b = await startApp('fastify', configuredModule(keyPrefix));
    const streams: RawResponse[] = [];
    try {
      streams.push(await openRaw(`${b.url}/sub/news`));
      const id = await a.app.get(SseHub).publish('news', 'hello');
      await streams[0]!.waitFor(() => datas(streams[0]!).length === 1);
      expect(idsOf(streams[0]!)).toEqual([id]);
      await b.app.get(SseHub).publish('news', 'again');
      streams.push(await openRaw(`${a.url}/sub/news`, { headers: { 'last-event-id': id } }));
      await streams[1]!.waitFor(() => datas(streams[1]!).length === 1);
      expect(datas(streams[1]!)).toEqual(['again']);
    } finally {
      for (const stream of streams) stream.destroy();
      await a.close();
      await b.close();
      await dropPrefix(keyPrefix);
    }
  });
});

describe('hub on Redis: Redis unreachable or restarted', () => {
  it('fails start-up with a message naming the URL when Redis cannot be reached', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await expect(startApp('express', redisModule(uniquePrefix('down'), url))).rejects.toThrow(
      new RegExp(`cannot reach Redis at ${url.replace(/[.]/g, '\\.')}`),
    );
  });

  describe.each(PLATFORMS)('Redis restarted mid-run (%s + the other)', (platform) => {
    let redis: PrivateRedis;
    let a: RunningApp | undefined;
    let b: RunningApp | undefined;
    const open: RawResponse[] = [];

    afterEach(async () => {
      for (const response of open.splice(0)) response.destroy();
      await a?.close();
      await b?.close();
      await redis?.stop();
    });

    it("after the instances' subscriptions drop and come back: no copy, nothing from before a stream opened", async () => {
      redis = await PrivateRedis.start();
      const keyPrefix = uniquePrefix('reconnect');
      a = await startApp(platform, redisModule(keyPrefix, redis.url));
      b = await startApp(other(platform), redisModule(keyPrefix, redis.url));
      const hubB = b.app.get(SseHub);
      const ids: string[] = [];
      for (let n = 1; n <= 5; n++) ids.push(await hubB.publish('room', n));
      const resumed = await openRaw(`${a.url}/sub/room`, { headers: { 'last-event-id': ids[1]! } });
      const live = await openRaw(`${a.url}/sub/room`);
      open.push(resumed, live);
      await resumed.waitFor(() => datas(resumed).length === 3);
      await killSubscriptions(redis.url);
      for (let n = 6; n <= 8; n++) await hubB.publish('room', n);
      await resumed.waitFor(() => datas(resumed).length >= 6, 5000);
      await live.waitFor(() => datas(live).length >= 3, 5000);
      await hubB.publish('room', 9);
      await resumed.waitFor(() => datas(resumed).length >= 7, 5000);
      expect(datas(resumed)).toEqual(['3', '4', '5', '6', '7', '8', '9']);
      await live.waitFor(() => datas(live).length >= 4, 5000);
      expect(datas(live)).toEqual(['6', '7', '8', '9']);
    });

    it('ends the subscribers of a channel whose events were trimmed while the subscription was down; they resume with the gap notice', async () => {
      redis = await PrivateRedis.start();
      const keyPrefix = uniquePrefix('lost');
      a = await startApp(platform, redisModule(keyPrefix, redis.url, { maxEvents: 3 }));
      b = await startApp(other(platform), redisModule(keyPrefix, redis.url, { maxEvents: 3 }));
      const hubB = b.app.get(SseHub);
      const first = await hubB.publish('busy', 'first');
      const subscriber = await openRaw(`${a.url}/sub/busy`, { headers: { 'last-event-id': first } });
      open.push(subscriber);
      await hubB.publish('busy', 'second');
      await subscriber.waitFor(() => datas(subscriber).length === 1);
      // Ten publishes while the instances reconnect their subscriptions: more than the channel keeps.
      await killSubscriptions(redis.url);
      for (let n = 1; n <= 10; n++) await hubB.publish('busy', `burst-${n}`);
      await subscriber.waitForEnd(5000);
      const resumed = await openRaw(`${a.url}/sub/busy`, { headers: { 'last-event-id': idsOf(subscriber).at(-1)! } });
      open.push(resumed);
      await resumed.waitFor(() => parseSse(resumed.text()).events.length >= 4);
      expect(parseSse(resumed.text()).events.map((e) => e.event ?? e.data)).toEqual(
        [SSE_GAP_EVENT, undefined, undefined, undefined].map((e, i) => e ?? parseSse(resumed.text()).events[i]!.data),
      );
      expect(datas(resumed).slice(1)).toEqual(['burst-8', 'burst-9', 'burst-10']);
    });

    it('keeps subscribers connected; publish() rejects while Redis is down; every resolved publish arrives once, in order', async () => {
      redis = await PrivateRedis.start();
      const keyPrefix = uniquePrefix('restart');
      a = await startApp(platform, redisModule(keyPrefix, redis.url));
      b = await startApp(other(platform), redisModule(keyPrefix, redis.url));
      const hubs = [a.app.get(SseHub), b.app.get(SseHub)];
      for (const app of [a, b, a, b]) open.push(await openRaw(`${app.url}/sub/live`));
      const resolved: string[] = [];
      const before: string[] = [];
      for (let n = 1; n <= 4; n++) {
        before.push(await hubs[n % 2]!.publish('live', `before-${n}`));
        resolved.push(`before-${n}`);
      }
      await redis.stop();
      const started = Date.now();
      await expect(hubs[0]!.publish('live', 'while-down')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
      await redis.start();
      // Publish until Redis answers again (each attempt either resolves or rejects, never hangs).
      let n = 0;
      while (resolved.length < 12) {
        n++;
        try {
          await hubs[n % 2]!.publish('live', `after-${n}`);
          resolved.push(`after-${n}`);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      for (const response of open) {
        await response.waitFor(() => datas(response).length >= resolved.length, 15_000);
        expect(response.socketClosed()).toBe(false);
        expect(datas(response)).toEqual(resolved);
      }
      // Redis lost its data (nothing on disk): an id from before is unknown now, and said so.
      const late = await openRaw(`${b.url}/sub/live`, { headers: { 'last-event-id': before[3]! } });
      open.push(late);
      await late.waitFor(() => parseSse(late.text()).events.length >= 1);
      expect(parseSse(late.text()).events[0]).toMatchObject({ event: SSE_GAP_EVENT });
    }, 40_000);
  });
});
