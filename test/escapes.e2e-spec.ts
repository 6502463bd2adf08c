/**
 * Nothing a handler returns or throws crashes the process or corrupts the connection: hostile
 * results, a header that cannot be sent, an EncodedFrame that is not a frame, throwing teardown.
 */
import {
  Controller,
  Injectable,
  Module,
  Res,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable } from 'rxjs';
import { CleanUp, EncodedFrame, Sse, SseModule } from '../lib/index.js';
import { CapturedLogs } from './support/captured-logs.js';
import { parseSse } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const torndown: string[] = [];

/** Sets a header value with a line break, as a route can on Fastify (Express refuses it at once). */
@Injectable()
class BadHeaderInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context
      .switchToHttp()
      .getResponse<{ header?(n: string, v: string): unknown; setHeader?(n: string, v: string): unknown }>();
    if (reply.header) reply.header('x-trace', 'a\r\nSet-Cookie: evil=1');
    else reply.setHeader?.('x-trace', 'a\r\nSet-Cookie: evil=1');
    return next.handle();
  }
}

@Controller()
class HostileController {
  @UseInterceptors(BadHeaderInterceptor)
  @Sse('bad-header')
  badHeader() {
    return ['never'];
  }

  @Sse('bad-header-passthrough')
  badHeaderPassthrough(@Res({ passthrough: true }) res: { header?(n: string, v: string): unknown }) {
    res.header?.('x-trace', 'line\nbreak');
    return ['never'];
  }

  @Sse('empty-frame')
  async *emptyFrame() {
    yield 'before';
    yield new EncodedFrame(Buffer.alloc(0), undefined, undefined);
  }

  @Sse('unterminated-frame')
  async *unterminatedFrame() {
    yield 'before';
    yield new EncodedFrame(Buffer.from('data: no blank line\n'), undefined, undefined);
  }

  @Sse('throwing-iterator-getter')
  throwingGetter() {
    return {
      get [Symbol.asyncIterator]() {
        throw new Error('getter says no');
      },
    };
  }

  @Sse('proxy')
  proxy() {
    return new Proxy(
      {},
      {
        get() {
          throw new Error('proxy says no');
        },
      },
    );
  }

  @Sse('sync-next-throws')
  syncNextThrows() {
    return {
      [Symbol.iterator]() {
        return {
          next() {
            throw new Error('next says no');
          },
        };
      },
    };
  }

  @Sse('teardown-throws')
  teardownThrows() {
    return new Observable<string>((subscriber) => {
      subscriber.next('hello');
      return () => {
        torndown.push('observable');
        throw new Error('teardown says no');
      };
    });
  }

  @Sse('finally-throws')
  async *finallyThrows(cleanUp: CleanUp) {
    cleanUp.add(() => {
      torndown.push('cleanup');
      throw new Error('cleanup says no');
    });
    try {
      yield 'hello';
      await new Promise((resolve) => cleanUp.signal.addEventListener('abort', resolve));
    } finally {
      torndown.push('generator');
      // eslint-disable-next-line no-unsafe-finally
      throw new Error('finally says no');
    }
  }

  @Sse('to-json-throws')
  async *toJsonThrows() {
    yield 'ok';
    yield {
      toJSON() {
        throw new Error('toJSON says no');
      },
    };
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [HostileController] })
class HostileModule {}

describe.each(PLATFORMS)('nothing escapes (%s)', (platform) => {
  const logs = new CapturedLogs();
  const escaped: unknown[] = [];
  const onEscape = (err: unknown) => escaped.push(err);
  let running: RunningApp;
  beforeAll(async () => {
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
    running = await startApp(platform, HostileModule, { logger: logs });
  });
  afterAll(async () => {
    await running.close();
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
  });
  afterEach(async () => {
    // Whatever happened, the process still serves.
    const res = await openRaw(`${running.url}/empty-frame`);
    expect(res.status).toBe(200);
    res.destroy();
    expect(escaped).toEqual([]);
  });

  it.each(['/bad-header', '/bad-header-passthrough'])(
    '%s: a header with a line break answers 500, and no header is injected',
    async (path) => {
      const res = await openRaw(`${running.url}${path}`);
      expect(res.status).toBe(500);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['content-type']).not.toBe('text/event-stream');
      await res.waitForEnd();
    },
  );

  it.each(['/empty-frame', '/unterminated-frame'])(
    '%s: an EncodedFrame that is not a whole frame is refused; the chunked body ends cleanly',
    async (path) => {
      const res = await openRaw(`${running.url}${path}`);
      const text = await res.waitForEnd();
      expect(text).toBe('data: before\n\nevent: error\ndata: {"status":500,"message":"Internal server error"}\n\n');
    },
  );

  it.each(['/throwing-iterator-getter', '/proxy', '/sync-next-throws'])('%s: a hostile result answers 500', async (path) => {
    const res = await openRaw(`${running.url}${path}`);
    expect(res.status).toBe(500);
    await res.waitForEnd();
  });

  it('a value whose toJSON throws ends the stream with the error event', async () => {
    const res = await openRaw(`${running.url}/to-json-throws`);
    expect(parseSse(await res.waitForEnd()).events.map((e) => [e.event, e.data])).toEqual([
      [undefined, 'ok'],
      ['error', '{"status":500,"message":"Internal server error"}'],
    ]);
  });

  it('teardown, finally and CleanUp that throw are logged, not thrown', async () => {
    torndown.length = 0;
    for (const path of ['/teardown-throws', '/finally-throws']) {
      const res = await openRaw(`${running.url}${path}`);
      await res.waitFor((text) => text.includes('hello'));
      res.destroy();
    }
    await until(() => ['observable', 'cleanup', 'generator'].every((what) => torndown.includes(what)));
    await until(() => logs.lines.some((line) => line.text.includes('finally says no')));
    expect(logs.lines.some((line) => line.text.includes('teardown says no'))).toBe(true);
    expect(logs.lines.some((line) => line.text.includes('cleanup says no'))).toBe(true);
  });
});
