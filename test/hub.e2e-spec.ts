/**
 * The broadcast hub over real HTTP: a chat room as the README shows it, read by eventsource@4.1.1
 * and by a raw node:http client, on Express and Fastify.
 */
import { Body, Controller, Headers, HttpCode, Module, Param, Post, Query, Req } from '@nestjs/common';
import type { Socket } from 'node:net';
import {
  CleanUp,
  compareHubIds,
  LastEventId,
  parseHubId,
  Sse,
  SSE_GAP_EVENT,
  SseHub,
  SseModule,
  type SseModuleOptions,
} from '../lib/index.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

/** Server-side sockets of open streams, so a test can kill them as a network failure would. */
const sockets = new Set<Socket>();
let cleanUps = 0;

@Controller()
class RoomsController {
  constructor(private readonly hub: SseHub) {}

  @Post('rooms/:id/messages')
  @HttpCode(201)
  async send(@Param('id') room: string, @Body() body: { text: string; to?: string }): Promise<{ id: string }> {
    return { id: await this.hub.publish(`room:${room}`, body, { meta: { to: body.to } }) };
  }

  @Sse('rooms/:id')
  room(
    @Param('id') room: string,
    @LastEventId() lastEventId: string | undefined,
    @Headers('x-user') userHeader: string | undefined,
    @Query('user') userQuery: string | undefined,
    @Req() req: { socket?: Socket; raw?: { socket: Socket } },
    cleanUp: CleanUp,
  ) {
    const user = userHeader ?? userQuery;
    const socket = (req.raw ?? req).socket as Socket;
    sockets.add(socket);
    cleanUp.add(() => {
      sockets.delete(socket);
      cleanUps++;
    });
    return this.hub.subscribe(`room:${room}`, {
      lastEventId,
      presence: user ? { user } : undefined,
      // Private messages: published to the room, delivered only to their addressee.
      filter: ({ meta }) => {
        const to = (meta as { to?: string } | undefined)?.to;
        return to === undefined || to === user;
      },
    });
  }
}

function appModule(options: SseModuleOptions) {
  @Module({ imports: [SseModule.forRoot(options)], controllers: [RoomsController] })
  class HubAppModule {}
  return HubAppModule;
}

async function post(url: string, body: unknown): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe.each(PLATFORMS)('hub over HTTP (%s)', (platform) => {
  let running: RunningApp | undefined;
  const start = async (options: SseModuleOptions = {}) => {
    running = await startApp(platform, appModule({ heartbeat: false, retry: 50, ...options }));
    return { url: running.url, hub: running.app.get(SseHub) };
  };
  afterEach(async () => {
    await running?.close();
    running = undefined;
    sockets.clear();
  });

  it('1,000 eventsource clients each receive 100 broadcast events in order; connections() is 0 within 1 s of their close', async () => {
    const { url, hub } = await start();
    const clients = Array.from({ length: 1000 }, () => recordEventSource(`${url}/rooms/big`));
    try {
      await until(() => hub.connections('room:big') === 1000, 30_000, '1000 subscribers');
      for (let i = 0; i < 100; i++) await hub.publish('room:big', i);
      await until(() => clients.every((c) => c.events.length >= 100), 30_000, 'every client to get 100 events');
      const expected = Array.from({ length: 100 }, (_, i) => String(i));
      for (const client of clients) expect(client.events.map((e) => e.data)).toEqual(expected);
    } finally {
      for (const client of clients) client.close();
    }
    const closedAt = Date.now();
    await until(() => hub.connections() === 0, 5_000, 'connections() to reach 0');
    expect(Date.now() - closedAt).toBeLessThan(1_000);
  }, 120_000);

  it('a client killed after event k resumes with Last-Event-ID: nothing lost or doubled while a publisher keeps publishing', async () => {
    const { url, hub } = await start();
    const total = 400;
    const client = recordEventSource(`${url}/rooms/race`);
    try {
      await until(() => hub.connections('room:race') === 1, 5_000, 'subscriber');
      // The publisher never waits for the client: publishes race each reconnect and its replay.
      let published = 0;
      const publisher = (async () => {
        while (published < total) {
          await hub.publish('room:race', published++);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      for (const k of [50, 150, 250]) {
        await client.waitForEvents(k, 10_000);
        const opens = client.opens;
        for (const socket of sockets) socket.destroy();
        await until(() => client.opens > opens, 5_000, 'the client to reconnect');
      }
      await publisher;
      await client.waitForEvents(total, 20_000);
      expect(client.opens).toBeGreaterThanOrEqual(4);
      expect(client.events.map((e) => Number(e.data))).toEqual(Array.from({ length: total }, (_, i) => i));
      const ids = client.events.map((e) => parseHubId(e.lastEventId)!);
      expect(ids.every((id, i) => i === 0 || compareHubIds(id, ids[i - 1]!) > 0)).toBe(true);
    } finally {
      client.close();
    }
  }, 60_000);

  it('replays exactly what followed Last-Event-ID to a raw client, then live events', async () => {
    const { url } = await start();
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await post(`${url}/rooms/r1/messages`, { text: `m${i}` }));
    const res = await openRaw(`${url}/rooms/r1`, { headers: { 'last-event-id': ids[1] } });
    expect(res.status).toBe(200);
    await res.waitFor((text) => parseSse(text).events.length === 3);
    const m6 = await post(`${url}/rooms/r1/messages`, { text: 'm6' });
    const text = await res.waitFor((t) => parseSse(t).events.length === 4);
    res.destroy();
    expect(parseSse(text).events.map((e) => [e.id, JSON.parse(e.data).text])).toEqual([
      [ids[2], 'm3'],
      [ids[3], 'm4'],
      [ids[4], 'm5'],
      [m6, 'm6'],
    ]);
  });

  it('a trimmed Last-Event-ID produces the gap event, then what is still held', async () => {
    const { url, hub } = await start({ history: { maxEvents: 3 } });
    const ids: string[] = [];
    for (let i = 1; i <= 10; i++) ids.push(await hub.publish('room:small', i));
    const client = recordEventSource(`${url}/rooms/small?lastEventId=${ids[1]}`, [SSE_GAP_EVENT]);
    try {
      const events = await client.waitForEvents(4);
      expect(events[0].type).toBe(SSE_GAP_EVENT);
      expect(JSON.parse(events[0].data)).toEqual({ lastEventId: ids[1], channels: ['room:small'] });
      expect(events.slice(1).map((e) => e.data)).toEqual(['8', '9', '10']);
    } finally {
      client.close();
    }
  });

  it('delivers a private event only to its addressee, and announces join/leave', async () => {
    const { url, hub } = await start();
    const ann = recordEventSource(`${url}/rooms/p?user=ann`, ['join', 'leave']);
    const bob = recordEventSource(`${url}/rooms/p?user=bob`, ['join', 'leave']);
    try {
      await until(() => hub.connections('room:p') === 2, 5_000, 'two subscribers');
      await until(() => ann.events.filter((e) => e.type === 'join').length === 2, 5_000, 'both joins');
      await post(`${url}/rooms/p/messages`, { text: 'hi all' });
      await post(`${url}/rooms/p/messages`, { text: 'psst', to: 'bob' });
      await post(`${url}/rooms/p/messages`, { text: 'bye' });
      await bob.waitForEvents(4); // its own join, then three messages
      bob.close();
      const c0 = cleanUps;
      await until(() => cleanUps > c0, 9000, 'cleanup');
      await until(() => ann.events.some((e) => e.type === 'leave'), 5_000, 'leave event');
      const texts = (r: typeof ann) => r.events.filter((e) => e.type === 'message').map((e) => JSON.parse(e.data).text);
      expect(texts(ann)).toEqual(['hi all', 'bye']);
      expect(texts(bob)).toEqual(['hi all', 'psst', 'bye']);
      expect(JSON.parse(ann.events.find((e) => e.type === 'leave')!.data)).toEqual({ user: 'bob' });
    } finally {
      ann.close();
      bob.close();
      const c0 = cleanUps;
      await until(() => cleanUps > c0, 9000, 'cleanup');
    }
  });

  it('answers 503 (Retry-After) past maxConnections and 429 past the per-key limit, before any SSE header', async () => {
    const { url, hub } = await start({
      maxConnections: 3,
      connectionsPerKey: { key: (req) => (req as { headers: Record<string, string | undefined> }).headers['x-user'], max: 2 },
    });
    const a1 = await openRaw(`${url}/rooms/l`, { headers: { 'x-user': 'a' } });
    const a2 = await openRaw(`${url}/rooms/l`, { headers: { 'x-user': 'a' } });
    const a3 = await openRaw(`${url}/rooms/l`, { headers: { 'x-user': 'a' } });
    const b1 = await openRaw(`${url}/rooms/l`, { headers: { 'x-user': 'b' } });
    const b2 = await openRaw(`${url}/rooms/l`, { headers: { 'x-user': 'b' } });
    try {
      expect([a1.status, a2.status, a3.status, b1.status, b2.status]).toEqual([200, 200, 429, 200, 503]);
      for (const refused of [a3, b2]) {
        expect(refused.headers['content-type']).not.toMatch(/event-stream/);
        expect(refused.headers['retry-after']).toBe('5');
      }
      expect(hub.connections('room:l')).toBe(3);
    } finally {
      for (const r of [a1, a2, a3, b1, b2]) r.destroy();
    }
    await until(() => hub.connections() === 0, 2_000, 'connections() to reach 0');
  });

  it('drops a subscriber that stops reading past maxPendingBytes while another keeps receiving', async () => {
    const { url, hub } = await start({ maxPendingBytes: 256 * 1024 });
    const stalled = await openRaw(`${url}/rooms/slow`);
    const reader = await openRaw(`${url}/rooms/slow`);
    stalled.pause();
    await until(() => hub.connections('room:slow') === 2, 5_000, 'two subscribers');
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 200 && hub.connections('room:slow') === 2; i++) {
      await hub.publish('room:slow', { i, big });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => hub.connections('room:slow') === 1, 5_000, 'the stalled subscriber to be dropped');
    const last = await hub.publish('room:slow', 'still here');
    await reader.waitFor((text) => text.includes(`id: ${last}\ndata: still here`), 10_000);
    stalled.destroy();
    reader.destroy();
  });

  it('app.close() ends hub subscribers and runs their CleanUp', async () => {
    const { url } = await start();
    const before = cleanUps;
    const raws = await Promise.all(Array.from({ length: 5 }, () => openRaw(`${url}/rooms/bye`)));
    await running!.close();
    await Promise.all(raws.map((r) => r.waitForEnd(2_000)));
    expect(cleanUps - before).toBe(5);
  });
});
