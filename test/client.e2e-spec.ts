/** nest-event-stream/client over real HTTP: our server on both platforms, and a raw node:http endpoint. */
import {
  Body,
  Controller,
  Get,
  Injectable,
  Module,
  Req,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  connectSse,
  SseConnectionError,
  SseContentTypeError,
  SseError,
  SseHttpError,
  SseJsonError,
  type SseMessage,
  type SseRetryInfo,
} from '../lib/client/index.js';
import { CleanUp, LastEventId, Sse, SseEvent, SseModule } from '../lib/index.js';
import { recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { until } from './support/until.js';

const LAST = 10;
const KILL_AFTER = [3, 7];

const state = {
  numbersRequests: 0,
  lastEventIds: [] as (string | undefined)[],
  killed: new Set<number>(),
  cleanedAt: undefined as number | undefined,
  guardCalls: 0,
  noneRequests: 0,
  echoBodies: [] as unknown[],
};

/** Opened by the test when the client has received event `n`: the server kills the socket only then. */
const receivedGates = new Map<number, { promise: Promise<void>; open(): void }>();
function received(n: number): { promise: Promise<void>; open(): void } {
  let gate = receivedGates.get(n);
  if (!gate) {
    let open = () => undefined as void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    gate = { promise, open };
    receivedGates.set(n, gate);
  }
  return gate;
}

function resetState(): void {
  receivedGates.clear();
  Object.assign(state, {
    numbersRequests: 0,
    lastEventIds: [],
    killed: new Set(),
    cleanedAt: undefined,
    guardCalls: 0,
    noneRequests: 0,
    echoBodies: [],
  });
}

/** The client's socket, on Express (IncomingMessage) and Fastify (FastifyRequest.raw). */
function socketOf(req: { raw?: { socket: Socket }; socket?: Socket }): Socket {
  const socket = req.raw?.socket ?? req.socket;
  if (!socket) throw new Error('no socket on the request');
  return socket;
}

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    state.guardCalls++;
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    if (req.headers.authorization !== 'Bearer ok') throw new UnauthorizedException();
    return true;
  }
}

@Controller()
class ClientTestController {
  /** 1..LAST with ids, resumable by Last-Event-ID; the server kills the socket after 3 and 7, and answers 204 after LAST. */
  @Sse('numbers', { retry: 10 })
  numbers(@LastEventId() lastEventId: string | undefined, @Req() req: { raw?: { socket: Socket }; socket?: Socket }) {
    state.numbersRequests++;
    state.lastEventIds.push(lastEventId);
    const from = lastEventId === undefined ? 1 : Number(lastEventId) + 1;
    if (from > LAST) return null;
    const socket = socketOf(req);
    return (async function* () {
      for (let i = from; i <= LAST; i++) {
        yield new SseEvent({ id: String(i), data: String(i) });
        if (KILL_AFTER.includes(i) && !state.killed.has(i)) {
          state.killed.add(i);
          // Kill only once the client has event i, so the test proves resume, not a lost first try.
          await received(i).promise;
          socket.destroy();
          return;
        }
      }
    })();
  }

  @Sse('none')
  none() {
    state.noneRequests++;
    return null;
  }

  @UseGuards(TokenGuard)
  @Sse('guarded')
  guarded() {
    return ['secret'];
  }

  @Get('plain')
  plain() {
    return { not: 'a stream' };
  }

  @Sse('forever')
  async *forever(cleanUp: CleanUp) {
    cleanUp.add(() => {
      state.cleanedAt = performance.now();
    });
    for (let i = 0; ; i++) {
      yield String(i);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** One event, then blocked: the client waits in next() when it is stopped. */
  @Sse('stalled')
  async *stalled(cleanUp: CleanUp) {
    cleanUp.add(() => {
      state.cleanedAt = performance.now();
    });
    yield 'first';
    await new Promise(() => undefined);
  }

  @Sse('job')
  job() {
    return [
      new SseEvent({ event: 'progress', data: { percent: 50 } }),
      new SseEvent({ event: 'progress', data: { percent: 100 } }),
      new SseEvent({ event: 'done', data: { url: '/report/1' } }),
    ];
  }

  @Sse('not-json')
  notJson() {
    return ['plain text'];
  }

  /** Records each body; one event, then 204 for a client that comes back with its id. */
  @Sse('echo', { method: 'POST', retry: 1 })
  echo(@Body() body: { text: string }, @LastEventId() lastEventId?: string) {
    state.echoBodies.push(body);
    return lastEventId ? null : [new SseEvent({ event: 'echo', id: '1', data: body.text })];
  }

  @Sse('last-event-id')
  lastEventId(@LastEventId() lastEventId?: string) {
    return [lastEventId ?? 'none'];
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [ClientTestController] })
class ClientTestModule {}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe.each(PLATFORMS)('connectSse against nest-event-stream (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, ClientTestModule);
  });
  afterAll(() => running.close());
  beforeEach(resetState);

  it('resumes with Last-Event-ID after the server kills the socket: every event exactly once, then 204 stops it', async () => {
    const retries: SseRetryInfo[] = [];
    const messages: SseMessage[] = [];
    for await (const message of connectSse(`${running.url}/numbers`, { minRetryDelay: 0, onRetry: (info) => retries.push(info) })) {
      messages.push(message);
      received(Number(message.data)).open();
    }
    expect(messages.map((m) => m.data)).toEqual(Array.from({ length: LAST }, (_, i) => String(i + 1)));
    expect(messages.map((m) => m.id)).toEqual(messages.map((m) => m.data));
    expect(messages.every((m) => m.event === 'message' && m.retry === 10)).toBe(true);
    expect([...state.killed]).toEqual(KILL_AFTER);
    // First connect without an id, the last one resumes after the last event and gets 204.
    expect(state.lastEventIds).toEqual([undefined, '3', '7', '10']);
    // The server's `retry: 10` replaced the 3000 ms default for every reconnect (spread over [10, 15]).
    expect(retries.length).toBe(state.numbersRequests - 1);
    expect(retries.map((r) => [r.failures, r.lastEventId])).toEqual([
      [0, '3'],
      [0, '7'],
      [0, '10'],
    ]);
    expect(retries.every((r) => r.delayMs >= 10 && r.delayMs <= 15)).toBe(true);
    expect(String(retries[0].error)).toMatch(/terminated/);
    expect(retries[2].error).toBeUndefined();
  });

  it('starts from the lastEventId option', async () => {
    const stream = connectSse(`${running.url}/numbers`, { lastEventId: '8' });
    const messages = await collect(stream);
    expect(messages.map((m) => m.data)).toEqual(['9', '10']);
    expect(state.lastEventIds[0]).toBe('8');
    expect(stream.lastEventId).toBe('10');
  });

  it('ends normally on 204 without reconnecting', async () => {
    const opened: number[] = [];
    expect(await collect(connectSse(`${running.url}/none`, { retry: 1, onOpen: (res) => opened.push(res.status) }))).toEqual([]);
    expect(state.noneRequests).toBe(1);
    expect(opened).toEqual([]);
  });

  it('rejects with SseHttpError on a 401 from a guard, and does not retry', async () => {
    const error: unknown = await collect(connectSse(`${running.url}/guarded`, { retry: 1 })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SseHttpError);
    expect(error).toBeInstanceOf(SseError);
    const httpError = error as SseHttpError;
    expect(httpError.status).toBe(401);
    expect(httpError.headers.get('content-type')).toContain('application/json');
    expect(JSON.parse(httpError.body)).toMatchObject({ statusCode: 401 });
    expect(httpError.message).toMatch(/HTTP 401.*credentials/);
    expect(state.guardCalls).toBe(1);
  });

  it('sends the headers option (a function is called per attempt)', async () => {
    const stream = connectSse(`${running.url}/guarded`, { headers: async () => ({ authorization: 'Bearer ok' }), reconnect: false });
    expect((await collect(stream)).map((m) => m.data)).toEqual(['secret']);
  });

  it('rejects with SseContentTypeError when the route is not an event stream', async () => {
    const error: unknown = await collect(connectSse(`${running.url}/plain`)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SseContentTypeError);
    expect((error as SseContentTypeError).contentType).toContain('application/json');
    expect((error as Error).message).toMatch(/not "text\/event-stream"/);
  });

  it('break closes the connection at once: the server runs CleanUp within 100 ms', async () => {
    let brokeAt = 0;
    for await (const message of connectSse(`${running.url}/forever`)) {
      if (message.data === '2') {
        brokeAt = performance.now();
        break;
      }
    }
    await until(() => state.cleanedAt !== undefined, 2000, 'CleanUp');
    expect(state.cleanedAt! - brokeAt).toBeLessThan(100);
  });

  it('aborting the signal while next() waits rejects with the abort reason and closes the connection', async () => {
    const controller = new AbortController();
    const received: string[] = [];
    const reading = (async () => {
      for await (const message of connectSse(`${running.url}/stalled`, { signal: controller.signal })) received.push(message.data);
    })();
    await until(() => received.length === 1, 2000, 'first event');
    const abortedAt = performance.now();
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => state.cleanedAt !== undefined, 2000, 'CleanUp');
    expect(state.cleanedAt! - abortedAt).toBeLessThan(100);
  });

  it('return() while next() waits resolves both as done and closes the connection', async () => {
    const stream = connectSse(`${running.url}/stalled`);
    expect((await stream.next()).value).toMatchObject({ data: 'first' });
    const pending = stream.next();
    const returnedAt = performance.now();
    await stream.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    await until(() => state.cleanedAt !== undefined, 2000, 'CleanUp');
    expect(state.cleanedAt! - returnedAt).toBeLessThan(100);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('json: true with an event map narrows data by event name', async () => {
    type JobEvents = { progress: { percent: number }; done: { url: string } };
    const percents: number[] = [];
    let report = '';
    for await (const message of connectSse<JobEvents>(`${running.url}/job`, { json: true })) {
      if (message.event === 'progress') {
        percents.push(message.data.percent);
      } else {
        report = message.data.url;
        break;
      }
    }
    expect(percents).toEqual([50, 100]);
    expect(report).toBe('/report/1');
  });

  it('json: true rejects with SseJsonError on data that is not JSON', async () => {
    const error: unknown = await collect(connectSse(`${running.url}/not-json`, { json: true })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SseJsonError);
    expect((error as SseJsonError).data).toBe('plain text');
    expect((error as Error).message).toMatch(/Drop `json: true`/);
  });

  it('POSTs a body (sent again on reconnect)', async () => {
    const stream = connectSse(`${running.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    });
    expect((await collect(stream)).map((m) => [m.event, m.data])).toEqual([['echo', 'hello']]);
    expect(state.echoBodies).toEqual([{ text: 'hello' }, { text: 'hello' }]);
  });

  it('sends a non-ASCII Last-Event-ID as UTF-8', async () => {
    const stream = connectSse(`${running.url}/last-event-id`, { lastEventId: 'ü-✓-1', reconnect: false });
    expect((await collect(stream)).map((m) => m.data)).toEqual(['ü-✓-1']);
  });
});

describe('connectSse network errors', () => {
  it('backs off exponentially with jitter up to maxRetryDelay, then rejects with SseConnectionError', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));

    const retries: SseRetryInfo[] = [];
    const error: unknown = await collect(
      connectSse(`http://127.0.0.1:${port}/gone`, {
        retry: 8,
        minRetryDelay: 0,
        maxRetryDelay: 20,
        maxRetries: 3,
        onRetry: (info) => retries.push(info),
      }),
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SseConnectionError);
    expect((error as SseConnectionError).attempts).toBe(4);
    expect((error as Error).message).toMatch(/after 4 attempts.*maxRetries/);
    expect(retries.map((r) => r.failures)).toEqual([1, 2, 3]);
    // Full delays 8, 16, 20 (capped); jitter keeps each in [d/2, d].
    [8, 16, 20].forEach((full, i) => {
      expect(retries[i].delayMs).toBeGreaterThanOrEqual(full / 2);
      expect(retries[i].delayMs).toBeLessThanOrEqual(full);
    });
  });
});

describe('connectSse against a raw node:http endpoint, compared with eventsource@4.1.1', () => {
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  /** Written one chunk at a time: CR-only, CRLF (also split across chunks), LF, comments, field edge cases. */
  const MIXED: (string | Buffer)[] = [
    BOM,
    ': a comment right after the BOM\r\n',
    'retry: 10\r\n\r\n',
    'data: crlf one\r\nid: 1\r\n\r\n',
    'event: named\rdata: cr only\rdata: second line\rid: 2\r\r',
    'data: lf, no id\n\n',
    ':heartbeat\n\n',
    'data:no space\r',
    '\n\r\n',
    'data\n\n',
    'event: named\ndata: x\nid\n\n',
    'data: after id reset\r\n\r\n',
    'id: 3\ndata: three\nunknown: field\n\n',
    'data:  two spaces\n\n',
    'data: incomplete, dropped at the end',
  ];
  let server: http.Server;
  let url: string;
  const lastEventIds: (string | undefined)[] = [];
  let releaseHeld: (() => void) | undefined;

  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      const path = req.url ?? '';
      if (path === '/mixed') {
        lastEventIds.push(req.headers['last-event-id'] as string | undefined);
        if (req.headers['last-event-id']) {
          res.writeHead(204).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        for (const chunk of MIXED) {
          res.write(chunk);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        res.end();
      } else if (path === '/cr-held') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: at once\r\r');
        await new Promise<void>((resolve) => (releaseHeld = resolve));
        res.end();
      } else if (path === '/cr-at-end') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: first\r\rdata: last\r\r');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reports the same events as EventSource, resumes with the same Last-Event-ID, and stops on the same 204', async () => {
    lastEventIds.length = 0;
    const ours = await collect(connectSse(`${url}/mixed`));
    const oursLastEventIds = lastEventIds.splice(0);

    const es = recordEventSource(`${url}/mixed`, ['named']);
    await until(() => es.source.readyState === 2, 5000, 'EventSource to stop on 204');
    es.close();

    // eventsource@4.1.1 reports a frame's own id as lastEventId ('' when the frame has none).
    expect(ours.map((m) => ({ type: m.event, data: m.data, lastEventId: m.id ?? '' }))).toEqual(es.events);
    expect(ours.map((m) => [m.event, m.data, m.id])).toEqual([
      ['message', 'crlf one', '1'],
      ['named', 'cr only\nsecond line', '2'],
      ['message', 'lf, no id', undefined],
      ['message', 'no space', undefined],
      ['message', '', undefined],
      ['named', 'x', ''],
      ['message', 'after id reset', undefined],
      ['message', 'three', '3'],
      ['message', ' two spaces', undefined],
    ]);
    // Ours also carries the spec's lastEventId, which outlives the frame that set it.
    expect(ours.map((m) => m.lastEventId)).toEqual(['1', '2', '2', '2', '2', '', '', '3', '3']);
    expect(ours.every((m) => m.retry === 10)).toBe(true);
    expect(oursLastEventIds).toEqual([undefined, '3']);
    expect(lastEventIds).toEqual([undefined, '3']);
  });

  it('delivers a CR-terminated event at once, not when the next chunk arrives', async () => {
    const stream = connectSse(`${url}/cr-held`);
    const first = await stream.next();
    expect((first.value as SseMessage).data).toBe('at once');
    expect(releaseHeld).toBeDefined();
    releaseHeld?.();
    await stream.return();
  });

  it('dispatches a last event whose blank line is a CR at the very end of the stream (spec: CR alone ends a line)', async () => {
    const messages = await collect(connectSse(`${url}/cr-at-end`, { reconnect: false }));
    expect(messages.map((m) => m.data)).toEqual(['first', 'last']);
  });
});
