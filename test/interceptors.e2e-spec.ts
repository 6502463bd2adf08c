/** Interceptors work as on any route: inner ones see the values, outer ones see the stream end. */
import {
  Controller,
  Injectable,
  Module,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { finalize, map, of, type Observable } from 'rxjs';
import { EncodedFrame, Sse, SseHub, SseModule } from '../lib/index.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const seen = { finalized: 0, hubFrames: 0 };

/** Sees hub frames (an interceptor between ours and the handler) and turns each into its value's text. */
@Injectable()
class HubFrameInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((frame) => {
        seen.hubFrames++;
        return frame instanceof EncodedFrame ? `seen ${String(frame.value)}` : frame;
      }),
    );
  }
}

@Injectable()
class UpperCaseInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value) => (typeof value === 'string' ? value.toUpperCase() : value)));
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

  @UseInterceptors(HubFrameInterceptor)
  @Sse('hub-mapped')
  hubMapped() {
    return this.hub.subscribe('news');
  }

  @Sse('hub-direct')
  hubDirect() {
    return this.hub.subscribe('news');
  }

  @UseInterceptors(UpperCaseInterceptor)
  @Sse('upper')
  upper() {
    return of('a', 'b');
  }

  @Sse('plain')
  async *plain() {
    yield 'x';
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [InterceptedController] })
class InterceptedModule {}

describe.each(PLATFORMS)('interceptors (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, InterceptedModule, { configure: (app) => void app.useGlobalInterceptors(new TimingInterceptor()) });
  });
  afterAll(() => running.close());

  it('an interceptor declared above @Sse() maps the values of an Observable handler', async () => {
    const res = await openRaw(`${running.url}/upper`);
    expect(await res.waitForEnd()).toBe('data: A\n\ndata: B\n\n');
  });

  it('hub sources: an interceptor above @Sse() still sees and maps every frame; without one, frames go straight to the socket', async () => {
    const hub = running.app.get(SseHub);
    seen.hubFrames = 0;
    const mapped = await openRaw(`${running.url}/hub-mapped`);
    const direct = await openRaw(`${running.url}/hub-direct`);
    await until(() => hub.connections('news') === 2);
    const first = await hub.publish('news', 'one');
    await hub.publish('news', 'two');
    expect(await mapped.waitFor((text) => text.includes('seen two'))).toBe('data: seen one\n\ndata: seen two\n\n');
    expect(await direct.waitFor((text) => text.includes('two'))).toBe(`id: ${first}\ndata: one\n\nid: ${Number(first) + 1}\ndata: two\n\n`);
    expect(seen.hubFrames).toBe(2);
    mapped.destroy();
    direct.destroy();
    await until(() => hub.connections('news') === 0);
  });

  it('a global interceptor sees the stream end (finalize runs once per stream)', async () => {
    seen.finalized = 0;
    const res = await openRaw(`${running.url}/plain`);
    expect(await res.waitForEnd()).toBe('data: x\n\n');
    await until(() => seen.finalized === 1);
  });
});
