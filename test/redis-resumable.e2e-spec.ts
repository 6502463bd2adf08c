/**
 * Resumable streams across instances through Redis: two Nest apps (one Express, one Fastify) on
 * one key space. One producer per key cluster-wide, resume and stop on any instance, a dead
 * instance's stream ends with an error event, the ttl removes its keys.
 */
import { Controller, Module, Param, Post, type Type } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { LastEventId, Sse, SseHub, SseModule, SSE_ERROR_EVENT, SSE_STOPPED_EVENT } from '../lib/index.js';
import { RedisHubStore, RedisHubTransport } from '../lib/redis/index.js';
import { parseSse } from './support/event-source.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from './support/platforms.js';
import { openRaw, type RawResponse } from './support/raw-http.js';
import { dropPrefix, keysOf, REDIS_URL, uniquePrefix } from './support/redis.js';
import { until } from './support/until.js';

const TOKENS = 20;
const starts = new Map<string, number>();
const abortedAt = new Map<string, number>();

@Controller('answers')
class AnswersController {
  constructor(private readonly hub: SseHub) {}

  @Sse(':key', { method: 'POST' })
  ask(@Param('key') key: string) {
    return this.hub.startStream(
      key,
      async function* (signal: AbortSignal) {
        starts.set(key, (starts.get(key) ?? 0) + 1);
        signal.addEventListener('abort', () => abortedAt.set(key, Date.now()));
        for (let i = 1; i <= TOKENS && !signal.aborted; i++) {
          await sleep(key.startsWith('slow') ? 100 : 10);
          yield { event: 'token', data: `t${i}` };
        }
      },
      { ttl: key.startsWith('short') ? 300 : undefined },
    );
  }

  @Sse(':key')
  resume(@Param('key') key: string, @LastEventId() lastEventId?: string) {
    return this.hub.resumeStream(key, { lastEventId });
  }

  @Post(':key/stop')
  async stop(@Param('key') key: string): Promise<{ stopped: boolean }> {
    return { stopped: await this.hub.stopStream(key) };
  }
}

const LEASE_MS = 400;

function redisModule(keyPrefix: string): Type<unknown> {
  @Module({
    imports: [
      SseModule.forRoot({
        heartbeat: false,
        retry: 50,
        store: new RedisHubStore({ url: REDIS_URL, keyPrefix }),
        transport: new RedisHubTransport({ url: REDIS_URL, keyPrefix }),
        resumable: { leaseMs: LEASE_MS },
      }),
    ],
    controllers: [AnswersController],
  })
  class RedisResumableModule {}
  return RedisResumableModule;
}

const other = (platform: Platform): Platform => (platform === 'express' ? 'fastify' : 'express');
const tokens = (raw: RawResponse) => parseSse(raw.text()).events.filter((e) => e.event === 'token');
const all = Array.from({ length: TOKENS }, (_, i) => `t${i + 1}`);

describe.each(PLATFORMS)('resumable streams on Redis, two instances (%s + the other)', (platform) => {
  let keyPrefix: string;
  let a: RunningApp;
  let b: RunningApp;
  const open: RawResponse[] = [];
  const raw = async (url: string, options?: Parameters<typeof openRaw>[1]) => {
    const response = await openRaw(url, options);
    open.push(response);
    return response;
  };

  beforeEach(async () => {
    keyPrefix = uniquePrefix('resumable');
    a = await startApp(platform, redisModule(keyPrefix));
    b = await startApp(other(platform), redisModule(keyPrefix));
  });
  afterEach(async () => {
    for (const response of open.splice(0)) response.destroy();
    await a.close();
    await b.close();
    await dropPrefix(keyPrefix);
  });

  it('a stream started on one instance resumes on the other: exactly the rest, then 204 on either', async () => {
    const key = `resume-${platform}`;
    const first = await raw(`${a.url}/answers/${key}`, { method: 'POST' });
    await first.waitFor(() => tokens(first).length >= 3);
    first.destroy();
    const seen = tokens(first);
    const resumed = await raw(`${b.url}/answers/${key}`, { headers: { 'last-event-id': seen.at(-1)!.id! } });
    await resumed.waitForEnd(10_000);
    const rest = tokens(resumed);
    expect([...seen, ...rest].map((e) => e.data)).toEqual(all);
    for (const app of [a, b]) {
      const done = await raw(`${app.url}/answers/${key}`, { headers: { 'last-event-id': rest.at(-1)!.id! } });
      expect(done.status).toBe(204);
    }
    expect((await raw(`${b.url}/answers/unknown-${platform}`)).status).toBe(204);
  });

  it('a second start on the other instance joins the running producer: one producer cluster-wide', async () => {
    const key = `slow-join-${platform}`;
    const onA = await raw(`${a.url}/answers/${key}`, { method: 'POST' });
    await onA.waitFor(() => tokens(onA).length >= 1);
    const onB = await raw(`${b.url}/answers/${key}`, { method: 'POST' });
    await Promise.all([onA.waitForEnd(15_000), onB.waitForEnd(15_000)]);
    expect(starts.get(key)).toBe(1);
    expect(tokens(onA).map((e) => e.data)).toEqual(all);
    // The joiner replays from the start.
    expect(tokens(onB).map((e) => e.data)).toEqual(all);
  });

  it('stopStream() on the other instance stops the producer where it runs within 500 ms; followers on both get `stopped`', async () => {
    const key = `slow-stop-${platform}`;
    const onA = await raw(`${a.url}/answers/${key}`, { method: 'POST' });
    await onA.waitFor(() => tokens(onA).length >= 2);
    const onB = await raw(`${b.url}/answers/${key}`, { headers: { 'last-event-id': tokens(onA)[0]!.id! } });
    await onB.waitFor(() => tokens(onB).length >= 1);
    const asked = Date.now();
    const stop = await fetch(`${b.url}/answers/${key}/stop`, { method: 'POST' });
    expect(await stop.json()).toEqual({ stopped: true });
    await until(() => abortedAt.has(key), 2000, 'the producer on the first instance to be aborted');
    expect(abortedAt.get(key)! - asked).toBeLessThan(500);
    for (const follower of [onA, onB]) {
      await follower.waitForEnd(5000);
      expect(parseSse(follower.text()).events.at(-1)).toMatchObject({ event: SSE_STOPPED_EVENT });
    }
    const again = await fetch(`${a.url}/answers/${key}/stop`, { method: 'POST' });
    expect(await again.json()).toEqual({ stopped: false });
  });

  it('a stream whose instance died (lease not renewed) ends with an error event for its followers; no client hangs', async () => {
    const key = `crashed-${platform}`;
    // The dead instance: it took the lease and recorded two tokens, then went away for good.
    const dead = new RedisHubStore({ url: REDIS_URL, keyPrefix });
    await dead.connect();
    try {
      expect(await dead.leases.claim(key, 'dead-instance', LEASE_MS)).toBe(true);
      for (const data of ['t1', 't2']) {
        await dead.append({ channels: [`sse-stream:${key}`], body: `event: token\ndata: ${data}\n\n`, value: data });
      }
    } finally {
      await dead.close();
    }
    const follower = await raw(`${b.url}/answers/${key}`);
    expect(follower.status).toBe(200);
    await follower.waitForEnd(5000);
    const events = parseSse(follower.text()).events;
    expect(events.map((e) => e.event)).toEqual(['token', 'token', SSE_ERROR_EVENT]);
    expect(JSON.parse(events[2]!.data)).toMatchObject({ message: expect.stringMatching(/went away/) });
    // Ended: a client that has everything gets 204 from either instance.
    const done = await raw(`${a.url}/answers/${key}`, { headers: { 'last-event-id': events[2]!.id! } });
    expect(done.status).toBe(204);
  });

  it('the ttl removes the stream and its recording from Redis', async () => {
    const key = `short-${platform}`;
    const starter = await raw(`${a.url}/answers/${key}`, { method: 'POST' });
    await starter.waitForEnd(5000);
    expect(tokens(starter)).toHaveLength(TOKENS);
    const mine = (keys: string[]) => keys.filter((k) => k.endsWith(`:${key}`));
    expect(mine(await keysOf(keyPrefix)).length).toBe(2);
    await until(async () => mine(await keysOf(keyPrefix)).length === 0, 3000, 'the keys to expire');
    expect((await raw(`${b.url}/answers/${key}`)).status).toBe(204);
  });
});
