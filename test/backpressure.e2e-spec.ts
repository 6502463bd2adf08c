/** Backpressure: pull sources wait for the socket; push sources are bounded by maxPendingBytes. */
import { Controller, Module } from '@nestjs/common';
import { Subject } from 'rxjs';
import { CleanUp, Sse, SseModule } from '../lib/index.js';
import { parseSse } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const CHUNK = 'y'.repeat(64 * 1024);
const stats = { pulled: 0, overflowCleanUps: [] as string[] };
const ticks = new Subject<{ n: number; sentAt: number; pad: string }>();

@Controller()
class BackpressureController {
  @Sse('pull')
  async *pull() {
    for (;;) {
      stats.pulled++;
      yield CHUNK;
    }
  }

  @Sse('push', { maxPendingBytes: 256 * 1024 })
  push(cleanUp: CleanUp) {
    cleanUp.add(() => stats.overflowCleanUps.push(cleanUp.reason ?? ''));
    return ticks.asObservable();
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [BackpressureController] })
class BackpressureModule {}

async function settled(read: () => number): Promise<number> {
  // The count stops moving once the socket and kernel buffers are full.
  let last = -1;
  await until(
    async () => {
      const now = read();
      const stable = now === last;
      last = now;
      if (!stable) await new Promise((resolve) => setTimeout(resolve, 150));
      return stable;
    },
    15_000,
    'the producer to stop being pulled',
  );
  return last;
}

describe.each(PLATFORMS)('backpressure (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, BackpressureModule);
  });
  afterAll(() => running.close());

  it('pulls an async iterable only while the socket accepts data', async () => {
    stats.pulled = 0;
    const res = await openRaw(`${running.url}/pull`);
    res.pause();
    const plateau = await settled(() => stats.pulled);
    // Bounded by socket + kernel buffers, not by how fast the generator can yield.
    expect(plateau * CHUNK.length).toBeLessThan(64 * 1024 * 1024);
    res.resume();
    await until(() => stats.pulled > plateau + 10, 5000, 'pulling to resume');
    res.destroy();
  });

  it('drops a paused reader at maxPendingBytes while another client keeps up', async () => {
    stats.overflowCleanUps = [];
    const slow = await openRaw(`${running.url}/push`);
    const fast = await openRaw(`${running.url}/push`);
    slow.pause();
    let n = 0;
    const pad = 'p'.repeat(16 * 1024);
    const timer = setInterval(() => {
      for (let i = 0; i < 8; i++) ticks.next({ n: n++, sentAt: Date.now(), pad });
    }, 2);
    try {
      await until(() => stats.overflowCleanUps.includes('overflow'), 20_000, 'the slow reader to be dropped');
      // The server closed its end; the paused client sees that once it reads what was buffered.
      slow.resume();
      await until(() => slow.socketClosed(), 10_000, 'the slow socket to close');
      const droppedAt = n;
      // The fast client keeps receiving after the slow one was dropped.
      await fast.waitFor((text) => text.includes(`"n":${droppedAt + 50},`), 10_000);
    } finally {
      clearInterval(timer);
    }
    const events = parseSse(fast.text()).events.map((e) => (JSON.parse(e.data) as { n: number }).n);
    // In order, nothing skipped, for the client that reads.
    expect(events.every((value, i) => value === events[0] + i)).toBe(true);
    fast.destroy();
    await until(() => stats.overflowCleanUps.length === 2);
    expect(stats.overflowCleanUps.sort()).toEqual(['client-gone', 'overflow']);
  });
});
