/**
 * maxPendingBytes bounds a client that stops reading, not the size of an event: one event larger
 * than the bound is delivered, and replays (hub history, resumable recordings) are paced by the
 * socket, never dropped for their size.
 */
import { Controller, Module } from '@nestjs/common';
import { Observable } from 'rxjs';
import { CleanUp, LastEventId, Sse, SseHub, SseModule } from '../lib/index.js';
import { CapturedLogs } from './support/captured-logs.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const MiB = 1024 * 1024;
const EIGHT_MIB = 'e'.repeat(8 * MiB);
const TWO_MIB = 't'.repeat(2 * MiB);
const reasons: string[] = [];

@Controller()
class OversizeController {
  constructor(private readonly hub: SseHub) {}

  /** One 8 MiB event (default bound 4 MiB) and a small one right behind it, then the end. */
  @Sse('big')
  big(cleanUp: CleanUp) {
    cleanUp.add(() => reasons.push(cleanUp.reason ?? ''));
    return new Observable<string>((subscriber) => {
      subscriber.next(EIGHT_MIB);
      subscriber.next('after');
      subscriber.complete();
    });
  }

  /** The same, but the stream stays open: an EventSource must not be dropped and reconnect. */
  @Sse('big-open')
  bigOpen() {
    return new Observable<string>((subscriber) => {
      subscriber.next(EIGHT_MIB);
      subscriber.next('after');
    });
  }

  @Sse('room')
  room(@LastEventId() lastEventId?: string) {
    return this.hub.subscribe('big-room', { lastEventId });
  }

  @Sse('answers/start', { method: 'POST' })
  start() {
    return this.hub.startStream('big-answer', async function* () {
      for (let i = 0; i < 5; i++) yield `${i}:${TWO_MIB}`;
    });
  }

  @Sse('answers/resume')
  resume(@LastEventId() lastEventId?: string) {
    return this.hub.resumeStream('big-answer', { lastEventId });
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [OversizeController] })
class OversizeModule {}

describe.each(PLATFORMS)('events larger than maxPendingBytes (%s)', (platform) => {
  const logs = new CapturedLogs();
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, OversizeModule, { logger: logs });
  });
  afterAll(() => running.close());
  beforeEach(() => logs.clear());

  it('an 8 MiB event with the default 4 MiB bound is delivered whole, then the next one', async () => {
    reasons.length = 0;
    const res = await openRaw(`${running.url}/big`);
    const { events } = parseSse(await res.waitForEnd(30_000));
    expect(events.map((event) => event.data.length)).toEqual([EIGHT_MIB.length, 5]);
    expect(events[0]!.data === EIGHT_MIB).toBe(true);
    await until(() => reasons.length === 1);
    expect(reasons).toEqual(['complete']);
    expect(logs.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('an EventSource gets it once and stays connected (no drop, no reconnect loop)', async () => {
    const source = recordEventSource(`${running.url}/big-open`);
    await source.waitForEvents(2, 30_000);
    expect(source.events.map((event) => event.data.length)).toEqual([EIGHT_MIB.length, 5]);
    expect(source.opens).toBe(1);
    expect(source.errors).toBe(0);
    source.close();
  });

  it('a hub replay of 10 MiB is paced by the socket and delivered whole', async () => {
    const hub = running.app.get(SseHub);
    const before = await hub.publish('big-room', 'before');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await hub.publish('big-room', `${i}:${TWO_MIB}`));
    const res = await openRaw(`${running.url}/room`, { headers: { 'last-event-id': before } });
    await res.waitFor((text) => text.endsWith(`4:${TWO_MIB}\n\n`), 30_000);
    const { events } = parseSse(res.text());
    expect(events.map((event) => event.id)).toEqual(ids);
    expect(events.every((event, i) => event.data === `${i}:${TWO_MIB}`)).toBe(true);
    // Then live.
    const live = await hub.publish('big-room', 'live');
    await res.waitFor((text) => text.endsWith(`id: ${live}\ndata: live\n\n`));
    res.destroy();
    expect(logs.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('a resumable replay of 10 MiB is paced by the socket and delivered whole', async () => {
    const started = await openRaw(`${running.url}/answers/start`, { method: 'POST' });
    await started.waitForEnd(30_000);
    // No Last-Event-ID: the whole recording, from its start.
    const res = await openRaw(`${running.url}/answers/resume`);
    const { events } = parseSse(await res.waitForEnd(30_000));
    expect(events.map((event) => event.data.slice(0, 2))).toEqual(['0:', '1:', '2:', '3:', '4:']);
    expect(events.every((event) => event.data.length === TWO_MIB.length + 2)).toBe(true);
    expect(logs.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });
});
