/** nest-event-stream/testing: readEvents() and listen() with @nestjs/testing apps on Express and Fastify. */
import {
  Body,
  Controller,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import http, { type Server } from 'node:http';
import { NEVER } from 'rxjs';
import { CleanUp, LastEventId, Sse, SseEvent, SseModule } from '../lib/index.js';
import { listen, readEvents, ReadEventsTimeoutError } from '../lib/testing/index.js';
import { untilNoConnections } from './support/connections.js';
import { PLATFORMS, type Platform } from './support/platforms.js';
import { until } from './support/until.js';

const state = { cleanUps: 0, silentOpened: 0 };

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    if (req.headers.authorization !== 'Bearer ok') throw new UnauthorizedException();
    return true;
  }
}

@Controller()
class TestingController {
  @Sse('ticks', { retry: 50 })
  async *ticks(cleanUp: CleanUp) {
    cleanUp.add(() => state.cleanUps++);
    for (let i = 0; ; i++) {
      yield new SseEvent({ event: 'tick', id: String(i), data: String(i) });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  @Sse('three')
  three(cleanUp: CleanUp) {
    cleanUp.add(() => state.cleanUps++);
    return ['a', 'b', 'c'];
  }

  @Sse('silent')
  silent(cleanUp: CleanUp) {
    state.silentOpened++;
    cleanUp.add(() => state.cleanUps++);
    return NEVER;
  }

  @Sse('resume')
  resume(@LastEventId() lastEventId?: string) {
    return [`after ${lastEventId ?? 'nothing'}`];
  }

  @Sse('echo', { method: 'POST' })
  echo(@Body() body: unknown) {
    return [body];
  }

  @UseGuards(TokenGuard)
  @Sse('guarded')
  guarded() {
    return ['secret'];
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [TestingController] })
class TestingModule {}

async function createTestingApp(platform: Platform): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [TestingModule] }).compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  await app.init();
  return app;
}

describe.each(PLATFORMS)('readEvents with a @nestjs/testing app (%s)', (platform) => {
  let app: INestApplication;
  let server: Server;
  beforeAll(async () => {
    app = await createTestingApp(platform);
    server = app.getHttpServer() as Server;
  });
  afterAll(() => app.close());
  beforeEach(() => {
    state.cleanUps = 0;
  });
  // Every read leaves no connection behind: the server sees the socket close, and CleanUp runs.
  afterEach(() => untilNoConnections(server));

  it('listens a non-listening app on an ephemeral loopback port, and stops after `count` events', async () => {
    expect(server.listening).toBe(false);
    const result = await readEvents(app, '/ticks', { count: 3 });
    expect(server.listening).toBe(true);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('text/event-stream');
    expect(result.stoppedBy).toBe('count');
    expect(result.ended).toBe(false);
    expect(result.events).toEqual([
      { event: 'tick', data: '0', id: '0', lastEventId: '0', retry: 50 },
      { event: 'tick', data: '1', id: '1', lastEventId: '1', retry: 50 },
      { event: 'tick', data: '2', id: '2', lastEventId: '2', retry: 50 },
    ]);
    expect(result.text.startsWith('retry: 50\n\nevent: tick\nid: 0\ndata: 0\n\n')).toBe(true);
    await until(() => state.cleanUps === 1, 2000, 'CleanUp');
  });

  it('stops when until() returns true', async () => {
    const result = await readEvents(app, '/ticks', { until: (event, events) => event.data === '4' && events.length === 5 });
    expect(result.stoppedBy).toBe('until');
    expect(result.events.map((e) => e.data)).toEqual(['0', '1', '2', '3', '4']);
    await until(() => state.cleanUps === 1, 2000, 'CleanUp');
  });

  it('resolves when the stream ends', async () => {
    const result = await readEvents(app, '/three', { count: 10 });
    expect(result.stoppedBy).toBe('end');
    expect(result.ended).toBe(true);
    expect(result.events.map((e) => [e.event, e.data, e.id])).toEqual([
      ['message', 'a', undefined],
      ['message', 'b', undefined],
      ['message', 'c', undefined],
    ]);
    expect(state.cleanUps).toBe(1);
  });

  it('rejects with ReadEventsTimeoutError when `count` is not reached in time, and still closes the connection', async () => {
    const error: unknown = await readEvents(app, '/silent', { count: 1, timeout: 150 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ReadEventsTimeoutError);
    expect((error as Error).message).toMatch(/GET \/silent\) timed out after 150 ms waiting for 1 events: HTTP 200, 0 events received/);
    expect((error as ReadEventsTimeoutError).result.status).toBe(200);
    await until(() => state.cleanUps === 1, 2000, 'CleanUp');
  });

  it('without count or until, a timeout resolves with what arrived', async () => {
    const result = await readEvents(app, '/ticks', { timeout: 100 });
    expect(result.stoppedBy).toBe('timeout');
    expect(result.events.length).toBeGreaterThan(0);
    await until(() => state.cleanUps === 1, 2000, 'CleanUp');
  });

  it('sends lastEventId as the Last-Event-ID header (UTF-8)', async () => {
    expect((await readEvents(app, '/resume', { lastEventId: '41', count: 1 })).events[0].data).toBe('after 41');
    expect((await readEvents(app, '/resume', { lastEventId: 'ünïcode-7', count: 1 })).events[0].data).toBe('after ünïcode-7');
    expect((await readEvents(app, '/resume', { count: 1 })).events[0].data).toBe('after nothing');
  });

  it('POSTs a body: an object goes as JSON, and the method defaults to POST', async () => {
    const result = await readEvents(app, '/echo', { body: { text: 'hi', n: 1 }, count: 1 });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.events[0].data)).toEqual({ text: 'hi', n: 1 });
    const asString = await readEvents(app, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"raw":true}',
      count: 1,
    });
    expect(asString.events[0].data).toBe('{"raw":true}');
  });

  it('resolves a 401 with its status and body instead of throwing', async () => {
    const denied = await readEvents(app, '/guarded', { count: 1 });
    expect(denied.status).toBe(401);
    expect(denied.events).toEqual([]);
    expect(denied.stoppedBy).toBe('end');
    expect(JSON.parse(denied.text)).toMatchObject({ statusCode: 401 });
    const allowed = await readEvents(app, '/guarded', { headers: { authorization: 'Bearer ok' } });
    expect(allowed.events.map((e) => e.data)).toEqual(['secret']);
  });

  it('takes a base URL string too', async () => {
    const { url } = await listen(app);
    const result = await readEvents(`${url}/`, 'three');
    expect(result.events.map((e) => e.data)).toEqual(['a', 'b', 'c']);
  });
});

describe.each(PLATFORMS)('listen() with a @nestjs/testing app (%s)', (platform) => {
  it('listens on 127.0.0.1 with an ephemeral port, and close() ends open streams and runs their CleanUp', async () => {
    state.cleanUps = 0;
    state.silentOpened = 0;
    const app = await createTestingApp(platform);
    const { url, close } = await listen(app);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await readEvents(url, '/three')).events).toHaveLength(3);

    // A stream still open when the app closes.
    const reading = readEvents(url, '/silent', { timeout: 5000 });
    await until(() => state.silentOpened === 1, 2000, 'the stream to open');
    await close();
    await close();
    const result = await reading;
    expect(result.stoppedBy).toBe('end');
    expect(state.cleanUps).toBe(2);
  });
});

describe('readEvents with a plain node http.Server', () => {
  it('listens a server that is not listening for the read, then closes it again', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      res.write(`data: ${req.method} ${req.url}\n\n`);
    });
    const result = await readEvents(server, '/x?y=1', { count: 1 });
    expect(result.comments).toEqual(['hello']);
    expect(result.events.map((e) => e.data)).toEqual(['GET /x?y=1']);
    expect(server.listening).toBe(false);
  });

  it('rejects with the network error when nothing listens', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    await expect(readEvents(`http://127.0.0.1:${port}`, '/', { count: 1 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
