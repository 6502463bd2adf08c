/**
 * Resumable streams: a producer that outlives the request that started it, resumed by
 * Last-Event-ID, 204 once fully delivered, stopped on demand. Express and Fastify.
 */
import { Controller, Module, Param, Post } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { NEVER, of } from 'rxjs';
import { compareHubIds, InMemoryHubStore, LastEventId, parseHubId, Sse, SseHub, SseModule, SSE_STOPPED_EVENT } from '../lib/index.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const TOKENS = 30;
const produced = new Map<string, number>();
const aborted = new Set<string>();
let starts = 0;

@Controller('answers')
class AnswersController {
  constructor(private readonly hub: SseHub) {}

  @Sse(':key', { method: 'POST' })
  ask(@Param('key') key: string) {
    return this.hub.startStream(key, async function* (signal: AbortSignal) {
      starts++;
      signal.addEventListener('abort', () => aborted.add(key));
      for (let i = 1; i <= TOKENS; i++) {
        await sleep(key.startsWith('slow') ? 40 : 5);
        produced.set(key, i);
        yield { event: 'token', data: `t${i}` };
      }
    });
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

const store = new InMemoryHubStore();
let stubbornAborted = 0;

@Controller('edge')
class EdgeController {
  constructor(private readonly hub: SseHub) {}

  /** A producer that ignores its signal and never ends by itself. */
  @Sse('stubborn/:key', { method: 'POST' })
  stubborn(@Param('key') key: string) {
    return this.hub.startStream(
      key,
      async function* (signal: AbortSignal) {
        signal.addEventListener('abort', () => stubbornAborted++);
        for (let i = 0; ; i++) {
          yield `tick ${i}`;
          await sleep(10);
        }
      },
      { ttl: 200 },
    );
  }

  /** Fails while it is subscribed, synchronously. */
  @Sse('sync-failure/:key', { method: 'POST' })
  syncFailure(@Param('key') key: string) {
    return this.hub.startStream(key, () => of({ n: 1n }));
  }

  @Sse('bad-ttl', { method: 'POST' })
  badTtl() {
    return this.hub.startStream('bad-ttl', () => of(1), { ttl: -5 });
  }

  @Sse('forever/:key', { method: 'POST' })
  forever(@Param('key') key: string) {
    return this.hub.startStream(key, () => NEVER);
  }

  @Sse('resume/:key')
  resume(@Param('key') key: string, @LastEventId() lastEventId?: string) {
    return this.hub.resumeStream(key, { lastEventId });
  }

  @Post('stop/:key')
  async stop(@Param('key') key: string): Promise<{ stopped: boolean }> {
    return { stopped: await this.hub.stopStream(key) };
  }
}

@Module({
  imports: [SseModule.forRoot({ heartbeat: false, retry: 50, store, resumable: { maxStreams: 6 } })],
  controllers: [AnswersController, EdgeController],
})
class AnswersModule {}

const tokens = (text: string) => parseSse(text).events.filter((e) => e.event === 'token');

describe.each(PLATFORMS)('resumable streams (%s)', (platform) => {
  let running: RunningApp;
  beforeEach(async () => {
    running = await startApp(platform, AnswersModule);
  });
  afterEach(async () => {
    await running.close();
  });

  it('keeps producing after the starting client leaves; a resume gets exactly the rest, then 204 once delivered', async () => {
    const key = `a-${platform}`;
    const first = await openRaw(`${running.url}/answers/${key}`, { method: 'POST' });
    expect(first.status).toBe(200);
    await first.waitFor((text) => tokens(text).length >= 3);
    first.destroy();
    const seen = tokens(first.text());
    const lastId = seen.at(-1)!.id!;
    // The producer does not die with the connection.
    await until(() => produced.get(key) === TOKENS, 5_000, 'the producer to finish');

    const resumed = await openRaw(`${running.url}/answers/${key}`, { headers: { 'last-event-id': lastId } });
    const rest = tokens(await resumed.waitForEnd());
    expect([...seen, ...rest].map((e) => e.data)).toEqual(Array.from({ length: TOKENS }, (_, i) => `t${i + 1}`));
    const ids = [...seen, ...rest].map((e) => parseHubId(e.id!)!);
    expect(ids.every((id, i) => i === 0 || compareHubIds(id, ids[i - 1]!) > 0)).toBe(true);

    const done = await openRaw(`${running.url}/answers/${key}`, { headers: { 'last-event-id': rest.at(-1)!.id! } });
    expect(done.status).toBe(204);
    done.destroy();
  });

  it('an EventSource following a running stream gets everything once and stops on the 204', async () => {
    const key = `slow-es-${platform}`;
    const starter = await openRaw(`${running.url}/answers/${key}`, { method: 'POST' });
    await starter.waitFor((text) => tokens(text).length >= 2);
    starter.destroy();
    const second = tokens(starter.text())[1]!.id!;
    const follower = recordEventSource(`${running.url}/answers/${key}?lastEventId=${second}`, ['token']);
    try {
      await follower.waitForEvents(TOKENS - 2, 10_000);
      // After the producer finished the stream ends; EventSource reconnects with the last id and gets 204.
      await until(() => follower.source.readyState === follower.source.CLOSED, 5_000, 'EventSource to stop');
      expect(follower.events.map((e) => e.data)).toEqual(Array.from({ length: TOKENS - 2 }, (_, i) => `t${i + 3}`));
    } finally {
      follower.close();
    }
  });

  it('answers 204 for an unknown key', async () => {
    const res = await openRaw(`${running.url}/answers/nope-${platform}`);
    expect(res.status).toBe(204);
    res.destroy();
  });

  it('a second start joins the running producer instead of starting another', async () => {
    const key = `slow-join-${platform}`;
    const before = starts;
    const a = await openRaw(`${running.url}/answers/${key}`, { method: 'POST' });
    await a.waitFor((text) => tokens(text).length >= 1);
    const b = await openRaw(`${running.url}/answers/${key}`, { method: 'POST' });
    const [textA, textB] = await Promise.all([a.waitForEnd(10_000), b.waitForEnd(10_000)]);
    expect(starts - before).toBe(1);
    expect(tokens(textA)).toHaveLength(TOKENS);
    expect(tokens(textB).at(-1)?.data).toBe(`t${TOKENS}`);
  });

  it('stopStream() aborts the producer; followers get the stopped event and end', async () => {
    const key = `slow-stop-${platform}`;
    const a = await openRaw(`${running.url}/answers/${key}`, { method: 'POST' });
    await a.waitFor((text) => tokens(text).length >= 2);
    const res = await fetch(`${running.url}/answers/${key}/stop`, { method: 'POST' });
    expect(await res.json()).toEqual({ stopped: true });
    const text = await a.waitForEnd();
    expect(parseSse(text).events.at(-1)?.event).toBe(SSE_STOPPED_EVENT);
    expect(aborted.has(key)).toBe(true);
    expect(produced.get(key)).toBeLessThan(TOKENS);
  });

  it('a producer that ignores its signal: stopStream() ends its followers, and its recording is gone after ttl', async () => {
    stubbornAborted = 0;
    const key = `stubborn-${platform}`;
    const follower = await openRaw(`${running.url}/edge/stubborn/${key}`, { method: 'POST' });
    await follower.waitFor((text) => text.includes('tick 3'));
    expect(await (await fetch(`${running.url}/edge/stop/${key}`, { method: 'POST' })).json()).toEqual({ stopped: true });
    expect(parseSse(await follower.waitForEnd()).events.at(-1)?.event).toBe(SSE_STOPPED_EVENT);
    expect(stubbornAborted).toBe(1);
    expect(store.size(`sse-stream:${key}`)).toBeGreaterThan(3);
    // Still resumable within its ttl (from the start), then gone: 204 and nothing left in the store.
    const within = await openRaw(`${running.url}/edge/resume/${key}`);
    expect(within.status).toBe(200);
    within.destroy();
    await until(async () => (await openRaw(`${running.url}/edge/resume/${key}`)).status === 204, 5000, 'the ttl to run out');
    await until(() => store.size(`sse-stream:${key}`) === 0);
  });

  it('a producer that fails synchronously: the starting request gets the error event, nothing escapes, the app keeps serving', async () => {
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => escaped.push(err);
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    try {
      const res = await openRaw(`${running.url}/edge/sync-failure/sync-${platform}`, { method: 'POST' });
      const events = parseSse(await res.waitForEnd()).events;
      expect(events.map((e) => [e.event, e.data])).toEqual([['error', '{"status":500,"message":"Internal server error"}']]);
      // A resume gets the recorded error marker too, then 204 once it has it.
      const resumed = await openRaw(`${running.url}/edge/resume/sync-${platform}`);
      const marker = parseSse(await resumed.waitForEnd()).events.at(-1)!;
      expect(marker.event).toBe('error');
      const done = await openRaw(`${running.url}/edge/resume/sync-${platform}`, { headers: { 'last-event-id': marker.id! } });
      expect(done.status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(escaped).toEqual([]);
      const still = await openRaw(`${running.url}/answers/nope-after-${platform}`);
      expect(still.status).toBe(204);
    } finally {
      process.off('uncaughtException', onEscape);
      process.off('unhandledRejection', onEscape);
    }
  });

  it('a bad ttl is refused before the stream starts, naming the option', async () => {
    const res = await openRaw(`${running.url}/edge/bad-ttl`, { method: 'POST' });
    expect(res.status).toBe(500);
    await res.waitForEnd();
  });

  it('past resumable.maxStreams running streams, a start gets 503; a finished one makes room', async () => {
    const held = [];
    // 6 at most; the app made none yet in this test's instance.
    for (let i = 0; i < 6; i++) held.push(await openRaw(`${running.url}/edge/forever/f${i}-${platform}`, { method: 'POST' }));
    expect(held.every((res) => res.status === 200)).toBe(true);
    const refused = await openRaw(`${running.url}/edge/forever/one-more-${platform}`, { method: 'POST' });
    expect(refused.status).toBe(503);
    expect(JSON.parse(await refused.waitForEnd()).message).toMatch(/resumable\.maxStreams 6/);
    await fetch(`${running.url}/edge/stop/f0-${platform}`, { method: 'POST' });
    const admitted = await openRaw(`${running.url}/edge/forever/one-more-${platform}`, { method: 'POST' });
    expect(admitted.status).toBe(200);
    for (const res of [...held, admitted]) res.destroy();
  });
});
