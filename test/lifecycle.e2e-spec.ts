/** Connection lifecycle over real HTTP: statuses, headers, open, completion, 204, teardown. */
import {
  Controller,
  ForbiddenException,
  Header,
  HttpCode,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type MessageEvent,
} from '@nestjs/common';
import { Readable } from 'node:stream';
import { Observable, interval, map, throwError, type Subscriber } from 'rxjs';
import { CleanUp, InjectCleanUp, LastEventId, Sse, SseEvent, SseModule } from '../lib/index.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const state = {
  cleanUps: 0,
  cleanUpOrder: [] as string[],
  finallies: 0,
  subscribed: 0,
  unsubscribed: 0,
  release: undefined as (() => void) | undefined,
  signalAborted: 0,
  reasons: [] as string[],
  lastEventIds: [] as (string | undefined)[],
};

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    if (req.headers.authorization !== 'Bearer ok') throw new UnauthorizedException();
    return true;
  }
}

@Controller()
class LifecycleController {
  @UseGuards(DenyGuard)
  @Sse('guarded')
  guarded() {
    return ['secret'];
  }

  @Sse('items/:id')
  item(@Param('id', ParseIntPipe) id: number) {
    if (id !== 1) throw new NotFoundException(`No item ${id}`);
    return [`item ${id}`];
  }

  @Sse('rejects')
  async rejects() {
    await Promise.resolve();
    throw new ForbiddenException('nope');
  }

  @Sse('errors-on-subscribe')
  errorsOnSubscribe() {
    return throwError(() => new NotFoundException('gone'));
  }

  @Sse('late')
  async *late() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    yield 'late';
  }

  @Sse('three')
  three() {
    return ['a', 'b', 'c'];
  }

  @Sse('null')
  nothing() {
    return null;
  }

  @Sse('null-promise')
  async nothingLater() {
    return null;
  }

  @Header('X-Custom', 'kept')
  @Sse('headers')
  headers() {
    return ['x'];
  }

  @HttpCode(202)
  @Sse('status')
  status() {
    return ['x'];
  }

  @Sse('post', { method: 'POST' })
  post() {
    return ['posted'];
  }

  @Sse('message-events')
  messageEvents(): Observable<MessageEvent> {
    return interval(1).pipe(
      map((n) => ({ data: { n }, type: 'tick', id: String(n) }) as MessageEvent),
      (source) => new Observable<MessageEvent>((sub) => source.subscribe({ next: (v) => (v.id === '3' ? sub.complete() : sub.next(v)) })),
    );
  }

  @Sse('readable')
  readable() {
    return Readable.from(['r1', 'r2']);
  }

  @Sse('byte-readable')
  byteReadable() {
    const bytes = Buffer.from('héllo wörld', 'utf8');
    return new Readable({
      read() {
        for (let i = 0; i < bytes.length; i += 2) this.push(bytes.subarray(i, i + 2));
        this.push(null);
      },
    });
  }

  @Sse('web-stream')
  webStream() {
    return new ReadableStream<string>({
      start(controller) {
        controller.enqueue('w1');
        controller.enqueue('w2');
        controller.close();
      },
    });
  }

  @Sse('set')
  set() {
    return new Set([1, 2]);
  }

  @Sse('promise-of-generator')
  async promiseOfGenerator() {
    await Promise.resolve();
    return (async function* () {
      yield 'pg';
    })();
  }

  @Sse('mid-error')
  async *midError() {
    yield 'before';
    throw new Error('database password is hunter2');
  }

  @Sse('mid-http-error')
  midHttpError() {
    return new Observable((sub) => {
      sub.next('before');
      setTimeout(() => sub.error(new ForbiddenException('Quota exceeded')), 5);
    });
  }

  @Sse('forever')
  async *forever(cleanUp: CleanUp) {
    cleanUp.add(() => state.cleanUpOrder.push('first'));
    cleanUp.add(() => {
      state.cleanUps++;
      state.reasons.push(cleanUp.reason ?? 'none');
      state.cleanUpOrder.push('second');
    });
    cleanUp.signal.addEventListener('abort', () => state.signalAborted++);
    try {
      for (let i = 0; ; i++) {
        yield i;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      state.finallies++;
    }
  }

  @Sse('stuck')
  async *stuck(@InjectCleanUp() cleanUp: CleanUp) {
    cleanUp.add(() => state.cleanUps++);
    try {
      yield 'waiting';
      // Blocked until the test releases it: CleanUp must not wait for this.
      await new Promise<void>((resolve) => (state.release = resolve));
    } finally {
      state.finallies++;
    }
  }

  @Sse('observable-forever')
  observableForever(cleanUp: CleanUp) {
    cleanUp.add(() => state.cleanUps++);
    return new Observable((sub: Subscriber<number>) => {
      state.subscribed++;
      let n = 0;
      const timer = setInterval(() => sub.next(n++), 5);
      return () => {
        clearInterval(timer);
        state.unsubscribed++;
      };
    });
  }

  @Sse('last-event-id', { retry: 20 })
  lastEventId(@LastEventId() lastEventId?: string) {
    state.lastEventIds.push(lastEventId);
    return [new SseEvent({ data: lastEventId ?? 'none', id: 'next' })];
  }

  @Sse('not-a-stream')
  notAStream() {
    return 'just a string';
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [LifecycleController] })
class LifecycleModule {}

function resetState(): void {
  Object.assign(state, {
    cleanUps: 0,
    cleanUpOrder: [],
    finallies: 0,
    subscribed: 0,
    unsubscribed: 0,
    signalAborted: 0,
    reasons: [],
    lastEventIds: [],
  });
}

describe.each(PLATFORMS)('lifecycle (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, LifecycleModule);
  });
  afterAll(() => running.close());
  beforeEach(resetState);

  describe('errors before the stream starts reach the exception filters with their status', () => {
    it.each([
      ['a guard', '/guarded', 401],
      ['a handler throw', '/items/2', 404],
      ['a pipe', '/items/abc', 400],
      ['a rejected promise', '/rejects', 403],
      ['an Observable that errors on subscribe', '/errors-on-subscribe', 404],
      ['a handler returning a string', '/not-a-stream', 500],
    ])('%s', async (_what, path, status) => {
      const res = await openRaw(running.url + path);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).not.toContain('text/event-stream');
      await res.waitForEnd();
      res.destroy();
    });

    it('the guard lets an authorized client through', async () => {
      const res = await openRaw(`${running.url}/guarded`, { headers: { authorization: 'Bearer ok' } });
      expect(res.status).toBe(200);
      expect(await res.waitForEnd()).toBe('data: secret\n\n');
    });

    it('EventSource gets the 401 as an error and stops', async () => {
      const es = recordEventSource(`${running.url}/guarded`);
      await until(() => es.errors > 0);
      expect(es.source.readyState).toBe(2);
      expect(es.opens).toBe(0);
      es.close();
    });
  });

  it('sends the SSE headers and keeps the route headers', async () => {
    const res = await openRaw(`${running.url}/headers`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['cache-control']).toBe('no-cache, no-transform');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.headers.connection).toBe('keep-alive');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['x-custom']).toBe('kept');
    await res.waitForEnd();
  });

  it('keeps the status set by @HttpCode()', async () => {
    const res = await openRaw(`${running.url}/status`);
    expect(res.status).toBe(202);
    await res.waitForEnd();
  });

  it('answers POST routes with 200 (not 201)', async () => {
    const res = await openRaw(`${running.url}/post`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(await res.waitForEnd()).toBe('data: posted\n\n');
  });

  it('flushes the head at once: EventSource opens before a late first event', async () => {
    const es = recordEventSource(`${running.url}/late`);
    await until(() => es.opens > 0);
    expect(es.events).toHaveLength(0);
    await es.waitForEvents(1);
    expect(es.events[0].data).toBe('late');
    es.close();
  });

  it('ends the response after a whole last frame when the source completes', async () => {
    const res = await openRaw(`${running.url}/three`);
    expect(await res.waitForEnd()).toBe('data: a\n\ndata: b\n\ndata: c\n\n');
  });

  it.each(['/null', '/null-promise'])('answers 204 for %s, and EventSource stops', async (path) => {
    const res = await openRaw(running.url + path);
    expect(res.status).toBe(204);
    expect(await res.waitForEnd()).toBe('');
    const es = recordEventSource(running.url + path);
    await until(() => es.source.readyState === 2);
    expect(es.opens).toBe(0);
    es.close();
  });

  it("keeps Nest's Observable<MessageEvent> handlers working (type -> event)", async () => {
    const res = await openRaw(`${running.url}/message-events`);
    const { events } = parseSse(await res.waitForEnd());
    expect(events.map((e) => [e.event, e.id, e.data])).toEqual([
      ['tick', '0', '{"n":0}'],
      ['tick', '1', '{"n":1}'],
      ['tick', '2', '{"n":2}'],
    ]);
  });

  it.each([
    ['/readable', 'data: r1\n\ndata: r2\n\n'],
    ['/byte-readable', 'data: héllo wörld\n\n'],
    ['/web-stream', 'data: w1\n\ndata: w2\n\n'],
    ['/set', 'data: 1\n\ndata: 2\n\n'],
    ['/promise-of-generator', 'data: pg\n\n'],
  ])('streams %s', async (path, wire) => {
    const res = await openRaw(running.url + path);
    const text = await res.waitForEnd();
    // A byte stream's chunks may come as several data frames; decoded text must be whole.
    if (path === '/byte-readable')
      expect(
        parseSse(text)
          .events.map((e) => e.data)
          .join(''),
      ).toBe('héllo wörld');
    else expect(text).toBe(wire);
  });

  it('ends a failing stream with one safe error frame', async () => {
    const res = await openRaw(`${running.url}/mid-error`);
    const text = await res.waitForEnd();
    expect(text).toBe('data: before\n\nevent: error\ndata: {"status":500,"message":"Internal server error"}\n\n');
    expect(text).not.toContain('hunter2');
  });

  it("sends an HttpException's own message in the error frame", async () => {
    const res = await openRaw(`${running.url}/mid-http-error`);
    const { events } = parseSse(await res.waitForEnd());
    expect(events.map((e) => [e.event, e.data])).toEqual([
      [undefined, 'before'],
      ['error', '{"status":403,"message":"Quota exceeded"}'],
    ]);
  });

  it('tears down on client close: CleanUp once (LIFO), signal aborted, generator finally ran', async () => {
    const es = recordEventSource(`${running.url}/forever`);
    await es.waitForEvents(3);
    es.close();
    await until(() => state.cleanUps === 1 && state.finallies === 1, 2000, 'teardown');
    expect(state.cleanUpOrder).toEqual(['second', 'first']);
    expect(state.signalAborted).toBe(1);
    expect(state.reasons).toEqual(['client-gone']);
    // And nothing runs twice later.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(state.cleanUps).toBe(1);
    expect(state.finallies).toBe(1);
  });

  it('runs CleanUp within 100 ms of the client leaving even when the generator is stuck in an await', async () => {
    const res = await openRaw(`${running.url}/stuck`);
    await res.waitFor((t) => t.includes('waiting'));
    const start = Date.now();
    res.destroy();
    await until(() => state.cleanUps === 1, 2000, 'CleanUp');
    const tookMs = Date.now() - start;
    expect(tookMs).toBeLessThan(100);
    expect(state.finallies).toBe(0);
    state.release?.();
    // return() was called: the generator's finally runs as soon as its await settles.
    await until(() => state.finallies === 1, 2000, 'finally');
  });

  it('unsubscribes the Observable and runs CleanUp on client close', async () => {
    const res = await openRaw(`${running.url}/observable-forever`);
    await res.waitFor((t) => t.includes('data: 2\n\n'));
    res.destroy();
    await until(() => state.unsubscribed === 1 && state.cleanUps === 1, 2000, 'unsubscribe');
    expect(state.subscribed).toBe(1);
  });

  it('injects Last-Event-ID from the header (UTF-8) and the query fallback', async () => {
    const utf8AsLatin1 = Buffer.from('évé-42', 'utf8').toString('latin1');
    const fromHeader = await openRaw(`${running.url}/last-event-id`, { headers: { 'last-event-id': utf8AsLatin1 } });
    expect(parseSse(await fromHeader.waitForEnd()).events[0].data).toBe('évé-42');
    const fromQuery = await openRaw(`${running.url}/last-event-id?lastEventId=q-7`);
    expect(parseSse(await fromQuery.waitForEnd()).events[0].data).toBe('q-7');
    const tooLong = await openRaw(`${running.url}/last-event-id`, { headers: { 'last-event-id': 'x'.repeat(5000) } });
    expect(parseSse(await tooLong.waitForEnd()).events[0].data).toBe('none');
  });

  it('EventSource sends Last-Event-ID on reconnect', async () => {
    const es = recordEventSource(`${running.url}/last-event-id`);
    await es.waitForEvents(2);
    es.close();
    expect(es.events[0].data).toBe('none');
    expect(es.events[1].data).toBe('next');
  });
});
