/**
 * Drop-in parity with `@nestjs/common` 12.5's `@Sse()`: what a handler written for it can
 * observe keeps working when only the import changes.
 */
import { Controller, Module, Res, SseSignal, type MessageEvent } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { NEVER, Observable, Subject, of } from 'rxjs';
import { CleanUp, Sse, SseModule } from '../lib/index.js';
import { CapturedLogs } from './support/captured-logs.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const signals: AbortSignal[] = [];
const reasons: string[] = [];
const feed = new Subject<string>();
const CHUNK = 'z'.repeat(64 * 1024);

interface AnyReply {
  status(code: number): unknown;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

@Controller('parity')
class ParityController {
  /** Nest's own example for @SseSignal(), as written for @nestjs/common. */
  @Sse('signal')
  async signal(@SseSignal() signal: AbortSignal): Promise<Observable<MessageEvent>> {
    signals.push(signal);
    await sleep(1);
    if (signal.aborted) return NEVER;
    return new Observable<MessageEvent>((subscriber) => {
      subscriber.next({ data: 'hello' });
      signal.addEventListener('abort', () => subscriber.complete(), { once: true });
    });
  }

  @Sse('signal-complete')
  signalComplete(@SseSignal() signal: AbortSignal): Observable<MessageEvent> {
    signals.push(signal);
    return of({ data: 'only' });
  }

  @Sse('passthrough')
  async passthrough(@Res({ passthrough: true }) res: AnyReply): Promise<Observable<MessageEvent>> {
    await sleep(5);
    res.status(203);
    if (res.header) res.header('x-late', 'yes');
    else res.setHeader?.('x-late', 'yes');
    return of({ data: 'late status' });
  }

  @Sse('bigint')
  bigint(): Observable<MessageEvent> {
    return of({ data: { n: 1n } });
  }

  @Sse('cycle')
  cycle(): Observable<MessageEvent> {
    const data: Record<string, unknown> = {};
    data.self = data;
    return of({ data });
  }

  @Sse('limited', { maxPendingDataLength: 256 * 1024 })
  limited(cleanUp: CleanUp): Observable<string> {
    cleanUp.add(() => reasons.push(cleanUp.reason ?? ''));
    return feed.asObservable();
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [ParityController] })
class ParityModule {}

/** A controller compiled without emitDecoratorMetadata: its `cleanUp` parameter has no type. */
class UntypedController {
  handler(cleanUp: CleanUp) {
    cleanUp.add(() => undefined);
    return ['never'];
  }
}
Controller('untyped')(UntypedController);
{
  const descriptor = Object.getOwnPropertyDescriptor(UntypedController.prototype, 'handler')!;
  expect(Reflect.getMetadata('design:paramtypes', UntypedController.prototype, 'handler')).toBeUndefined();
  Sse('cleanup')(UntypedController.prototype, 'handler', descriptor);
  Object.defineProperty(UntypedController.prototype, 'handler', descriptor);
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [UntypedController] })
class UntypedModule {}

describe.each(PLATFORMS)("parity with Nest's @Sse (%s)", (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, ParityModule);
  });
  afterAll(() => running.close());

  it('@SseSignal() injects an AbortSignal that aborts when the client leaves', async () => {
    signals.length = 0;
    const res = await openRaw(`${running.url}/parity/signal`);
    expect(await res.waitFor((text) => text.includes('hello'))).toBe('data: hello\n\n');
    expect(signals).toHaveLength(1);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    expect(signals[0]!.aborted).toBe(false);
    res.destroy();
    await until(() => signals[0]!.aborted);
  });

  it('@SseSignal() aborts when the stream completes, too', async () => {
    signals.length = 0;
    const res = await openRaw(`${running.url}/parity/signal-complete`);
    expect(await res.waitForEnd()).toBe('data: only\n\n');
    await until(() => signals[0]?.aborted === true);
  });

  it('a status and header set on a passthrough response after an await reach the client', async () => {
    const res = await openRaw(`${running.url}/parity/passthrough`);
    expect(res.status).toBe(203);
    expect(res.headers['x-late']).toBe('yes');
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(await res.waitForEnd()).toBe('data: late status\n\n');
  });

  it.each(['bigint', 'cycle'])('a first value that cannot be serialized (%s) answers 500 before any stream byte', async (path) => {
    const res = await openRaw(`${running.url}/parity/${path}`);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(await res.waitForEnd())).toMatchObject({ statusCode: 500 });
  });

  it('maxPendingDataLength is taken as maxPendingBytes: a client that stops reading is dropped past it', async () => {
    reasons.length = 0;
    const res = await openRaw(`${running.url}/parity/limited`);
    res.pause();
    for (let i = 0; i < 400 && reasons.length === 0; i++) {
      feed.next(CHUNK);
      await sleep(1);
    }
    await until(() => reasons.length === 1);
    expect(reasons).toEqual(['overflow']);
    res.destroy();
  });
});

describe.each(PLATFORMS)('without emitDecoratorMetadata (%s)', (platform) => {
  const logs = new CapturedLogs();
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, UntypedModule, { logger: logs });
  });
  afterAll(() => running.close());

  it('using an undecorated cleanUp parameter fails with a message that says to use @InjectCleanUp()', async () => {
    const res = await openRaw(`${running.url}/untyped/cleanup`);
    expect(res.status).toBe(500);
    await res.waitForEnd();
    const logged = logs
      .errors()
      .map((line) => line.text)
      .join('\n');
    expect(logged).toContain('@InjectCleanUp() cleanUp: CleanUp');
    expect(logged).toContain('emitDecoratorMetadata');
    expect(logged).toContain('UntypedController.handler');
  });
});
