/**
 * The hub across process lifetimes and under stress, over real HTTP: an id from before a restart
 * gets the gap notice; one app has one hub; presence counts a user once; ids stay in order on
 * every subscriber while others overflow or fail.
 */
import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { CleanUp, compareHubIds, LastEventId, parseHubId, Sse, SSE_GAP_EVENT, SseHub, SseModule } from '../lib/index.js';
import { parseSse } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw, type RawResponse } from './support/raw-http.js';
import { until } from './support/until.js';

let overflowed = 0;

@Controller('rooms')
class RoomsController {
  constructor(private readonly hub: SseHub) {}

  @Post(':room')
  async publish(@Param('room') room: string, @Body() body: { text: string }): Promise<{ id: string }> {
    return { id: await this.hub.publish(`room:${room}`, body) };
  }

  @Sse(':room')
  room(
    @Param('room') room: string,
    @Query('user') user: string | undefined,
    @Query('failAt') failAt: string | undefined,
    @LastEventId() lastEventId?: string,
  ) {
    return this.hub.subscribe(`room:${room}`, {
      lastEventId,
      ...(user && { presence: { user }, presenceKey: user }),
      ...(failAt && {
        filter: ({ value }: { value: unknown }) => {
          if ((value as { text?: string }).text === failAt) throw new Error('filter bug');
          return true;
        },
      }),
    });
  }

  /** A reader that falls behind at once: a tiny bound. */
  @Sse(':room/slow', { maxPendingBytes: 1024 })
  slow(@Param('room') room: string, @Query('user') user: string, cleanUp: CleanUp) {
    cleanUp.add(() => {
      if (cleanUp.reason === 'overflow') overflowed++;
    });
    return this.hub.subscribe(`room:${room}`, { presence: { user }, presenceKey: user });
  }

  @Get(':room/roster')
  roster(@Param('room') room: string) {
    return this.hub.roster(`room:${room}`);
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [RoomsController] })
class RoomsModule {}

/** POSTs on a fresh connection (a pooled one may belong to the app that was just closed). */
async function post(url: string, text: string): Promise<string> {
  const res = await openRaw(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  return (JSON.parse(await res.waitForEnd()) as { id: string }).id;
}

describe.each(PLATFORMS)('hub lifetimes (%s)', (platform) => {
  it('a restart: an id from the old process gets the gap notice, then what the new one holds', async () => {
    const first = await startApp(platform, RoomsModule);
    const port = Number(new URL(first.url).port);
    const old = [await post(`${first.url}/rooms/r`, 'old 1'), await post(`${first.url}/rooms/r`, 'old 2')];
    await first.close();
    const second = await startApp(platform, RoomsModule, { port });
    try {
      const fresh = [await post(`${second.url}/rooms/r`, 'new 1'), await post(`${second.url}/rooms/r`, 'new 2')];
      expect(compareHubIds(parseHubId(old[1]!)!, parseHubId(fresh[0]!)!)).toBeLessThan(0);
      const res = await openRaw(`${second.url}/rooms/r`, { headers: { 'last-event-id': old[0]! } });
      const text = await res.waitFor((t) => parseSse(t).events.length === 3);
      res.destroy();
      const events = parseSse(text).events;
      expect(events[0]).toMatchObject({ event: SSE_GAP_EVENT, id: undefined });
      expect(JSON.parse(events[0]!.data)).toEqual({ lastEventId: old[0], channels: ['room:r'] });
      expect(events.slice(1).map((e) => [e.id, JSON.parse(e.data).text])).toEqual([
        [fresh[0], 'new 1'],
        [fresh[1], 'new 2'],
      ]);
    } finally {
      await second.close();
    }
  });

  describe('with one app', () => {
    let running: RunningApp;
    beforeAll(async () => {
      running = await startApp(platform, RoomsModule);
    });
    afterAll(() => running.close());

    it('counts a user with three tabs once on the roster, announcing join once and leave once', async () => {
      const watcher = await openRaw(`${running.url}/rooms/p`);
      const tabs: RawResponse[] = [];
      for (let i = 0; i < 3; i++) tabs.push(await openRaw(`${running.url}/rooms/p?user=bob`));
      const ann = await openRaw(`${running.url}/rooms/p?user=ann`);
      const roster = async () => (await fetch(`${running.url}/rooms/p/roster`)).json();
      await until(async () => (await roster()).length === 2);
      expect(await roster()).toEqual([
        { key: 'bob', data: { user: 'bob' }, connections: 3 },
        { key: 'ann', data: { user: 'ann' }, connections: 1 },
      ]);
      tabs[0]!.destroy();
      tabs[1]!.destroy();
      await until(async () => (await roster())[0]?.connections === 1);
      const presence = () => parseSse(watcher.text()).events.filter((e) => e.event === 'join' || e.event === 'leave');
      tabs[2]!.destroy();
      await until(() => presence().length === 3);
      ann.destroy();
      await until(async () => (await roster()).length === 0);
      await until(() => presence().length === 4);
      expect(presence().map((e) => [e.event, JSON.parse(e.data).user, e.id])).toEqual([
        ['join', 'bob', undefined],
        ['join', 'ann', undefined],
        ['leave', 'bob', undefined],
        ['leave', 'ann', undefined],
      ]);
      watcher.destroy();
    });

    it('ids stay strictly increasing on every subscriber while others overflow and filters throw', async () => {
      const hub = running.app.get(SseHub);
      overflowed = 0;
      const readers = await Promise.all([1, 2, 3].map((n) => openRaw(`${running.url}/rooms/stress?user=reader${n}`)));
      const failing = await Promise.all([5, 40, 120].map((k) => openRaw(`${running.url}/rooms/stress?user=f${k}&failAt=m${k}`)));
      const slow = await Promise.all([1, 2].map((n) => openRaw(`${running.url}/rooms/stress/slow?user=slow${n}`)));
      for (const s of slow) s.pause();
      await until(() => hub.connections('room:stress') === 8);
      const big = 'x'.repeat(2000);
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push(await hub.publish('room:stress', { text: `m${i}`, pad: big }));
      await until(() => overflowed === 2, 10_000, 'both slow readers dropped');
      for (const reader of readers) {
        const text = await reader.waitFor((t) => t.includes('"m199"'), 10_000);
        const numbered = parseSse(text).events.filter((e) => e.id !== undefined);
        expect(numbered.map((e) => e.id)).toEqual(ids);
        reader.destroy();
      }
      for (const [index, k] of [5, 40, 120].entries()) {
        const text = await failing[index]!.waitForEnd();
        const events = parseSse(text).events;
        expect(events.at(-1)?.event).toBe('error');
        expect(events.filter((e) => e.id !== undefined).map((e) => e.id)).toEqual(ids.slice(0, k));
      }
      for (const s of slow) s.destroy();
    });
  });
});

describe('one app has one hub', () => {
  @Module({ imports: [SseModule.forRoot()] })
  class FeatureModule {}

  @Module({ imports: [SseModule.forRoot(), FeatureModule] })
  class AppModule {}

  it('a second SseModule.forRoot() fails start-up with a message that says what to do', async () => {
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false, abortOnError: false });
    try {
      await expect(app.init()).rejects.toThrow(
        /SseModule\.forRoot\(\) is imported 2 times in this app \(by AppModule, FeatureModule\).*once, in the root module/s,
      );
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});
