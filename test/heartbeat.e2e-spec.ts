/** Heartbeats, the retry preamble, route overrides, forRootAsync, and compression installed globally. */
import { Controller, Injectable, Module } from '@nestjs/common';
import compression from 'compression';
import fastifyCompress from '@fastify/compress';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Subject, interval, map } from 'rxjs';
import { Sse, SseModule } from '../lib/index.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';

const live = new Subject<string>();

@Controller()
class HeartbeatController {
  @Sse('idle')
  idle() {
    return live.asObservable();
  }

  @Sse('busy')
  busy() {
    return interval(10).pipe(map((n) => String(n)));
  }

  @Sse('named', { heartbeatEvent: 'ping' })
  named() {
    return live.asObservable();
  }

  @Sse('no-heartbeat', { heartbeat: false, retry: 2500 })
  noHeartbeat() {
    return live.asObservable();
  }
}

@Injectable()
class ConfigLike {
  readonly heartbeatMs = 40;
}

@Module({ providers: [ConfigLike], exports: [ConfigLike] })
class ConfigLikeModule {}

@Module({
  imports: [
    SseModule.forRootAsync({
      imports: [ConfigLikeModule],
      inject: [ConfigLike],
      useFactory: (config: ConfigLike) => ({ heartbeat: config.heartbeatMs, retry: 1000 }),
    }),
  ],
  controllers: [HeartbeatController],
})
class HeartbeatModule {}

const HEARTBEAT = ':\n\n';

function heartbeats(text: string): number {
  return text.split('\n\n').filter((frame) => frame === ':').length;
}

describe.each(PLATFORMS)('heartbeats (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, HeartbeatModule, {
      configure: async (app) => {
        // Compression installed globally must not buffer the stream.
        if (platform === 'express') app.use(compression());
        else await (app as NestFastifyApplication).register(fastifyCompress, { global: true });
      },
    });
  });
  afterAll(() => running.close());

  it('sends the retry preamble once, then comment heartbeats on schedule', async () => {
    const res = await openRaw(`${running.url}/idle`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    const text = await res.waitFor((t) => heartbeats(t) >= 3);
    expect(text.startsWith(`retry: 1000\n\n${HEARTBEAT}`)).toBe(true);
    res.destroy();
  });

  it('heartbeats fire no events on an EventSource', async () => {
    const es = recordEventSource(`${running.url}/idle`);
    const raw = await openRaw(`${running.url}/idle`);
    await raw.waitFor((t) => heartbeats(t) >= 3);
    expect(es.opens).toBe(1);
    expect(es.events).toEqual([]);
    live.next('real');
    await es.waitForEvents(1);
    expect(es.events.map((e) => e.data)).toEqual(['real']);
    es.close();
    raw.destroy();
  });

  it('events reach the client at once through compression', async () => {
    const res = await openRaw(`${running.url}/idle`, { headers: { 'accept-encoding': 'gzip' } });
    await res.waitFor((t) => t.startsWith('retry:'));
    live.next('immediate');
    await res.waitFor((t) => t.includes('data: immediate\n\n'));
    res.destroy();
  });

  it('activity resets the schedule: a busy stream carries no heartbeats', async () => {
    const res = await openRaw(`${running.url}/busy`);
    const text = await res.waitFor((t) => parseSse(t).events.length >= 40);
    res.destroy();
    // 40 events at 10 ms span ~10 heartbeat periods; a tick that saw a write sends nothing.
    expect(heartbeats(text)).toBeLessThanOrEqual(2);
  });

  it('sends heartbeats as a named event when configured per route', async () => {
    const res = await openRaw(`${running.url}/named`);
    const text = await res.waitFor((t) => parseSse(t).events.length >= 2);
    res.destroy();
    expect(parseSse(text).events.slice(0, 2)).toEqual([
      { event: 'ping', data: '', id: undefined },
      { event: 'ping', data: '', id: undefined },
    ]);
  });

  it('route options override the module: no heartbeat, another retry', async () => {
    const res = await openRaw(`${running.url}/no-heartbeat`);
    await res.waitFor((t) => t.startsWith('retry: 2500\n\n'));
    // Wait past several module heartbeat periods using a stream that does beat.
    const beating = await openRaw(`${running.url}/idle`);
    await beating.waitFor((t) => heartbeats(t) >= 3);
    expect(res.text()).toBe('retry: 2500\n\n');
    res.destroy();
    beating.destroy();
  });
});
