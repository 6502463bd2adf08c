/**
 * Interceptors work as on any route: they run before the stream (headers, status, a throw is a
 * status), may answer instead of the handler, and see the stream end once. The handler's result
 * reaches them as one value (an SseHandlerResult), whatever its kind.
 */
import {
  Controller,
  ForbiddenException,
  Injectable,
  Module,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { finalize, of, tap, type Observable } from 'rxjs';
import { Sse, SSE_STREAM_OPEN_CHANNEL, SseHub, SseModule, type SseStreamOpenMessage } from '../lib/index.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const seen = { finalized: 0, values: [] as unknown[] };

/** Sets a status and a header the way an interceptor does on either platform. */
@Injectable()
class AcceptedInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context
      .switchToHttp()
      .getResponse<{ status(code: number): unknown; header?(n: string, v: string): unknown; setHeader?(n: string, v: string): unknown }>();
    reply.status(202);
    if (reply.header) reply.header('x-intercepted', 'yes');
    else reply.setHeader?.('x-intercepted', 'yes');
    return next.handle();
  }
}

@Injectable()
class DenyInterceptor implements NestInterceptor {
  intercept(): Observable<unknown> {
    throw new ForbiddenException('not for you');
  }
}

/** Answers without calling the handler (as a cache does). */
@Injectable()
class CachedInterceptor implements NestInterceptor {
  intercept(): Observable<unknown> {
    return of('cached one', 'cached two');
  }
}

@Injectable()
class ObservingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap((value) => seen.values.push(value)));
  }
}

@Injectable()
class TimingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(finalize(() => seen.finalized++));
  }
}

@Controller()
class InterceptedController {
  constructor(private readonly hub: SseHub) {}

  @UseInterceptors(AcceptedInterceptor)
  @Sse('accepted')
  accepted() {
    return of('a');
  }

  @UseInterceptors(DenyInterceptor)
  @Sse('denied')
  denied() {
    return of('never');
  }

  @UseInterceptors(CachedInterceptor)
  @Sse('cached')
  cached() {
    return of('from the handler');
  }

  @UseInterceptors(ObservingInterceptor)
  @Sse('observed')
  observed() {
    return of('x', 'y');
  }

  @Sse('hub')
  hubStream() {
    return this.hub.subscribe('news');
  }

  @Sse('plain')
  async *plain() {
    yield 'x';
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [InterceptedController] })
class InterceptedModule {}

describe.each(PLATFORMS)('interceptors (%s)', (platform: Platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, InterceptedModule, { configure: (app) => void app.useGlobalInterceptors(new TimingInterceptor()) });
  });
  afterAll(() => running.close());

  it('a status and a header set by an interceptor reach the client; Content-Type stays text/event-stream', async () => {
    const res = await openRaw(`${running.url}/accepted`);
    expect(res.status).toBe(202);
    expect(res.headers['x-intercepted']).toBe('yes');
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(await res.waitForEnd()).toBe('data: a\n\n');
  });

  it('an interceptor that throws before the stream answers with its status', async () => {
    const res = await openRaw(`${running.url}/denied`);
    expect(res.status).toBe(403);
    expect(JSON.parse(await res.waitForEnd())).toMatchObject({ statusCode: 403, message: 'not for you' });
  });

  it("an interceptor that answers instead of the handler has its Observable's values streamed", async () => {
    const res = await openRaw(`${running.url}/cached`);
    expect(res.status).toBe(200);
    expect(await res.waitForEnd()).toBe('data: cached one\n\ndata: cached two\n\n');
  });

  it("an interceptor between sees the handler's result as one value, and the stream is whole", async () => {
    seen.values = [];
    const res = await openRaw(`${running.url}/observed`);
    expect(await res.waitForEnd()).toBe('data: x\n\ndata: y\n\n');
    expect(seen.values).toHaveLength(1);
    expect((seen.values[0] as { constructor: { name: string } }).constructor.name).toBe('SseHandlerResult');
  });

  it('a hub subscription is written straight to the socket as HTTP/1.1 chunks', async () => {
    const hub = running.app.get(SseHub);
    const writers: SseStreamOpenMessage[] = [];
    const onOpen = (message: unknown) => writers.push(message as SseStreamOpenMessage);
    subscribe(SSE_STREAM_OPEN_CHANNEL, onOpen);
    try {
      const res = await openRaw(`${running.url}/hub`);
      await until(() => hub.connections('news') === 1);
      const first = await hub.publish('news', 'one');
      expect(await res.waitFor((text) => text.includes('one'))).toBe(`id: ${first}\ndata: one\n\n`);
      expect(writers.map((w) => w.writer)).toEqual(['direct-chunks']);
      expect(writers[0]!.route).toBe('InterceptedController.hubStream (GET /hub)');
      res.destroy();
      await until(() => hub.connections('news') === 0);
    } finally {
      unsubscribe(SSE_STREAM_OPEN_CHANNEL, onOpen);
    }
  });

  it('a global interceptor sees the stream end (finalize runs once per stream)', async () => {
    seen.finalized = 0;
    const res = await openRaw(`${running.url}/plain`);
    expect(await res.waitForEnd()).toBe('data: x\n\n');
    await until(() => seen.finalized === 1);
  });
});
