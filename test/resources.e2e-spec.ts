/** Nothing leaks: connect-and-reset cycles, app.close() with open streams, admission limits. */
import { Controller, Module } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Observable } from 'rxjs';
import { CleanUp, Sse, SseModule } from '../lib/index.js';
import { parseSse } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw, type RawResponse } from './support/raw-http.js';
import { until } from './support/until.js';

const stats = { cleanUps: 0, active: 0, finallies: 0 };

@Controller()
class ResourceController {
  @Sse('observable')
  observable(cleanUp: CleanUp) {
    cleanUp.add(() => stats.cleanUps++);
    return new Observable<string>((subscriber) => {
      stats.active++;
      subscriber.next('hello');
      const timer = setInterval(() => subscriber.next('tick'), 1000);
      return () => {
        clearInterval(timer);
        stats.active--;
      };
    });
  }

  @Sse('generator')
  async *generator(cleanUp: CleanUp) {
    cleanUp.add(() => stats.cleanUps++);
    try {
      yield 'hello';
      // A well-behaved generator: its wait ends when the stream does.
      await sleep(60_000, undefined, { signal: cleanUp.signal }).catch(() => undefined);
    } finally {
      stats.finallies++;
    }
  }

  @Sse('limited', { connectionsPerKey: { key: (req) => (req as { headers: Record<string, string> }).headers['x-user'], max: 2 } })
  limited() {
    return new Observable<string>((subscriber) => subscriber.next('in'));
  }
}

function count(kind: string): number {
  return process.getActiveResourcesInfo().filter((name) => name === kind).length;
}

async function makeModule(options: Parameters<typeof SseModule.forRoot>[0]) {
  @Module({ imports: [SseModule.forRoot(options)], controllers: [ResourceController] })
  class ResourceModule {}
  return ResourceModule;
}

describe.each(PLATFORMS)('resources (%s)', (platform) => {
  let running: RunningApp;
  beforeEach(() => Object.assign(stats, { cleanUps: 0, active: 0, finallies: 0 }));
  afterEach(() => running?.close());

  it('1,000 connect-and-reset cycles leave no subscriptions, timers or sockets behind', async () => {
    running = await startApp(platform, await makeModule({ heartbeat: 15_000 }));
    // Warm up once, then take the baseline.
    const warm = await openRaw(`${running.url}/observable`);
    await warm.waitFor((t) => t.includes('hello'));
    warm.destroy();
    await until(() => stats.active === 0 && stats.cleanUps === 1);
    const timersBefore = count('Timeout');
    const socketsBefore = count('TCPSocketWrap');
    stats.cleanUps = 0;
    const cycles = 1000;
    const batch = 50;
    for (let done = 0; done < cycles; done += batch) {
      await Promise.all(
        Array.from({ length: batch }, async (_, i) => {
          const res = await openRaw(`${running.url}/${(done + i) % 2 ? 'observable' : 'generator'}`);
          await res.waitFor((t) => t.includes('hello'));
          res.destroy();
        }),
      );
    }
    await until(() => stats.cleanUps === cycles, 10_000, `all ${cycles} CleanUps`);
    await until(() => stats.active === 0, 5000, 'no active subscriptions');
    await until(() => count('TCPSocketWrap') <= socketsBefore, 5000, 'sockets to close');
    await until(() => stats.finallies === cycles / 2, 5000, 'every generator finally');
    // Heartbeat timers and the sources' own timers are all gone.
    await until(() => count('Timeout') <= timersBefore, 5000, 'timers to be cleared');
  }, 60_000);

  it('app.close() with 100 open streams ends them all, runs their CleanUps and returns promptly', async () => {
    running = await startApp(
      platform,
      await makeModule({ farewell: { event: 'bye', data: 'server restarting' }, shutdownGracePeriod: 2000 }),
    );
    const clients: RawResponse[] = await Promise.all(
      Array.from({ length: 100 }, (_, i) => openRaw(`${running.url}/${i % 2 ? 'observable' : 'generator'}`)),
    );
    await Promise.all(clients.map((c) => c.waitFor((t) => t.includes('hello'))));
    const started = Date.now();
    await running.close();
    const tookMs = Date.now() - started;
    expect(stats.cleanUps).toBe(100);
    expect(stats.active).toBe(0);
    // Well inside the grace period: streams end at once, nothing waits for it to run out.
    expect(tookMs).toBeLessThan(2000);
    await Promise.all(clients.map((c) => c.waitForEnd()));
    for (const client of clients) {
      const events = parseSse(client.text()).events;
      expect(events[events.length - 1]).toMatchObject({ event: 'bye', data: 'server restarting' });
    }
  });

  it('answers 503 with Retry-After past maxConnections, before any SSE header', async () => {
    running = await startApp(platform, await makeModule({ maxConnections: 2, retryAfterSeconds: 7 }));
    const a = await openRaw(`${running.url}/observable`);
    const b = await openRaw(`${running.url}/observable`);
    const refused = await openRaw(`${running.url}/observable`);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.headers['content-type']).not.toContain('text/event-stream');
    a.destroy();
    await until(() => stats.cleanUps === 1);
    const admitted = await openRaw(`${running.url}/observable`);
    expect(admitted.status).toBe(200);
    admitted.destroy();
    b.destroy();
  });

  it('answers 429 past the per-key limit, and admits the key again when a stream closes', async () => {
    running = await startApp(platform, await makeModule({}));
    const open = (user: string) => openRaw(`${running.url}/limited`, { headers: { 'x-user': user } });
    const a1 = await open('alice');
    const a2 = await open('alice');
    const a3 = await open('alice');
    const b1 = await open('bob');
    expect([a1.status, a2.status, a3.status, b1.status]).toEqual([200, 200, 429, 200]);
    expect(a3.headers['retry-after']).toBeDefined();
    a1.destroy();
    await until(async () => {
      const again = await open('alice');
      again.destroy();
      return again.status === 200;
    });
    for (const c of [a2, b1]) c.destroy();
  });
});
