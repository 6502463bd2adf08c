/**
 * Resumable streams: a producer that outlives the request that started it, resumed by
 * Last-Event-ID, 204 once fully delivered, stopped on demand. Express and Fastify.
 */
import { Controller, Module, Param, Post } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareHubIds, LastEventId, parseHubId, Sse, SseHub, SseModule, SSE_STOPPED_EVENT } from '../lib/index.js';
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
  stop(@Param('key') key: string): { stopped: boolean } {
    return { stopped: this.hub.stopStream(key) };
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false, retry: 50 })], controllers: [AnswersController] })
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
});
