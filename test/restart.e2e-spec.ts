/**
 * Behaviours that must survive any redesign: a value returned after its client left is released;
 * an EventSource connected across `app.close()` and a new instance on the same port reconnects
 * and keeps receiving.
 */
import { Controller, Module, Param } from '@nestjs/common';
import net from 'node:net';
import { Observable } from 'rxjs';
import { LastEventId, Sse, SseHub, SseModule } from '../lib/index.js';
import { SseStreamRegistry } from '../lib/stream/sse-stream-registry.js';
import { openRaw } from './support/raw-http.js';
import { recordStreams } from './support/diagnostics.js';
import { recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { until } from './support/until.js';

const late = { release: new Map<string, () => void>(), returned: 0, subscribed: 0 };

@Controller()
class LateController {
  constructor(private readonly hub: SseHub) {}

  /** Resolves only when the test says so, after its client has left. */
  @Sse('late/:kind')
  async lateResult(@Param('kind') kind: string): Promise<unknown> {
    await new Promise<void>((resolve) => late.release.set(kind, resolve));
    if (kind === 'observable') {
      return new Observable<string>(() => {
        late.subscribed++;
      });
    }
    const iterator: AsyncIterator<string> = {
      next: async () => ({ done: false, value: 'never sent' }),
      return: async () => {
        late.returned++;
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  /** Far more than a paused client takes: app.close() waits out its grace period for it. */
  @Sse('flood')
  flood() {
    return [1, 2, 3, 4].map((n) => `${n}:${'f'.repeat(2 * 1024 * 1024)}`);
  }

  @Sse('news')
  news(@LastEventId() lastEventId?: string) {
    return this.hub.subscribe('news', { lastEventId });
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false, retry: 50, shutdownGracePeriod: 200 })], controllers: [LateController] })
class RestartModule {}

@Module({ imports: [SseModule.forRoot({ heartbeat: false, shutdownGracePeriod: 3000 })], controllers: [LateController] })
class SlowShutdownModule {}

describe.each(PLATFORMS)('what must keep holding (%s)', (platform) => {
  it('a generator returned after its client left is returned, an Observable never subscribed', async () => {
    const running = await startApp(platform, RestartModule);
    const streams = recordStreams();
    late.returned = 0;
    late.subscribed = 0;
    late.release.clear();
    try {
      for (const kind of ['generator', 'observable']) {
        // No head comes while the handler is still setting up: a raw socket, closed meanwhile.
        const socket = net.connect(Number(new URL(running.url).port), '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(`GET /late/${kind} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await until(() => late.release.has(kind));
        socket.destroy();
        // The server saw the client leave before the handler settled.
        await until(() => streams.ended.some((end) => end.route.endsWith(`(GET /late/${kind})`) && end.reason === 'client-gone'));
        late.release.get(kind)!();
      }
      await until(() => late.returned === 1);
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(late.subscribed).toBe(0);
    } finally {
      streams.stop();
      await running.close();
    }
  });

  it('an EventSource connected across app.close() and a new instance on the same port reconnects and keeps receiving', async () => {
    const first = await startApp(platform, RestartModule);
    const port = Number(new URL(first.url).port);
    const source = recordEventSource(`${first.url}/news`);
    let second: RunningApp | undefined;
    try {
      await until(() => first.app.get(SseHub).connections('news') === 1);
      await first.app.get(SseHub).publish('news', 'from the first');
      await source.waitForEvents(1);
      await first.close();
      second = await startApp(platform, RestartModule, { port });
      const hub = second.app.get(SseHub);
      await until(() => hub.connections('news') === 1, 10_000);
      await hub.publish('news', 'from the second');
      await source.waitForEvents(2);
      expect(source.events.map((event) => event.data)).toEqual(['from the first', 'from the second']);
      expect(source.source.readyState).toBe(1);
    } finally {
      source.close();
      await second?.close();
    }
  });

  it('a request that arrives while the app shuts down gets a network error, never a status (EventSource keeps retrying)', async () => {
    const running = await startApp(platform, SlowShutdownModule);
    const registry = running.app.get(SseStreamRegistry);
    const stuck = await openRaw(`${running.url}/flood`);
    stuck.pause();
    const closing = running.close();
    try {
      await until(() => registry.isClosing);
      const outcome = await openRaw(`${running.url}/news`).then(
        (res) => `status ${res.status}`,
        (err: NodeJS.ErrnoException) => `network error ${err.code ?? err.message}`,
      );
      expect(outcome).toMatch(/^network error/);
    } finally {
      stuck.destroy();
      await closing;
    }
  });
});
