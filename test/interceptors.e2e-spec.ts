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
import { Sse, SseModule } from '../lib/index.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const seen = { finalized: 0 };

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

  it('a global interceptor sees the stream end (finalize runs once per stream)', async () => {
    seen.finalized = 0;
    const res = await openRaw(`${running.url}/plain`);
    expect(await res.waitForEnd()).toBe('data: x\n\n');
    await until(() => seen.finalized === 1);
  });
});
