/**
 * What an open stream keeps. Once the head is out, Nest's request pipeline (interceptor chain,
 * router promise, execution context, handler arguments) is let go when no interceptor runs
 * outside `@Sse()`'s, and kept until the end when one does (so that it sees the end).
 */
import { Controller, Module, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { finalize, type Observable } from 'rxjs';
import { CleanUp, Sse, SseHub, SseModule } from '../lib/index.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Weak references to the execution contexts Nest made for each request, by route. */
const contexts: Record<string, Array<WeakRef<object>>> = { plain: [], wrapped: [] };
const ended: string[] = [];
const finalized: string[] = [];

/** Inside @Sse()'s (listed above it): it gets the execution context every interceptor of the request shares. */
class TrackContext implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    contexts[context.getHandler().name]!.push(new WeakRef(context));
    return next.handle();
  }
}

class FinalizeInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(finalize(() => finalized.push('wrapped')));
  }
}

@Controller()
class PlainController {
  constructor(private readonly hub: SseHub) {}

  @UseInterceptors(TrackContext)
  @Sse('plain')
  plain(cleanUp: CleanUp) {
    cleanUp.add(() => ended.push('plain'));
    return this.hub.subscribe('footprint');
  }
}

@Controller()
@UseInterceptors(FinalizeInterceptor)
class WrappedController {
  constructor(private readonly hub: SseHub) {}

  @UseInterceptors(TrackContext)
  @Sse('wrapped')
  wrapped(cleanUp: CleanUp) {
    cleanUp.add(() => ended.push('wrapped'));
    return this.hub.subscribe('footprint');
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [PlainController, WrappedController] })
class FootprintModule {}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    collectGarbage();
    if (ref.deref() === undefined) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

describe.each(PLATFORMS)('what an open stream keeps (%s)', (platform) => {
  let running: RunningApp;
  let hub: SseHub;

  beforeAll(async () => {
    running = await startApp(platform, FootprintModule);
    hub = running.app.get(SseHub);
  });
  afterAll(() => running.close());

  it('lets go of Nest’s request pipeline once the head is out, and still streams and cleans up', async () => {
    contexts.plain = [];
    ended.length = 0;
    const res = await openRaw(`${running.url}/plain`);
    expect(res.status).toBe(200);
    await until(() => hub.connections('footprint') === 1);
    expect(await collected(contexts.plain[0]!)).toBe(true);
    await hub.publish('footprint', 'after the pipeline was let go');
    await res.waitFor((text) => text.includes('data: after the pipeline was let go\n\n'));
    res.destroy();
    await until(() => ended.includes('plain'));
    expect(hub.connections('footprint')).toBe(0);
  });

  it('keeps it while an interceptor outside @Sse() waits for the end, which it then sees', async () => {
    contexts.wrapped = [];
    ended.length = 0;
    finalized.length = 0;
    const res = await openRaw(`${running.url}/wrapped`);
    expect(res.status).toBe(200);
    await until(() => hub.connections('footprint') === 1);
    expect(await collected(contexts.wrapped[0]!)).toBe(false);
    expect(finalized).toEqual([]);
    res.destroy();
    await until(() => ended.includes('wrapped') && finalized.length === 1);
    expect(await collected(contexts.wrapped[0]!)).toBe(true);
  });
});
