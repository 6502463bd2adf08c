/**
 * nest-event-stream/client against servers that misbehave or restart: plain node:http endpoints
 * that send exactly the bytes and statuses of each case, and our own server's 503/429 answers.
 */
import { Controller, Module } from '@nestjs/common';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  connectSse,
  SseConnectionError,
  SseEventTooLargeError,
  SseHttpError,
  type ConnectSseOptions,
  type SseMessage,
  type SseRetryInfo,
} from '../lib/client/index.js';
import { Sse, SseModule } from '../lib/index.js';
import { PLATFORMS, startApp } from './support/platforms.js';
import { until } from './support/until.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, attempt: number) => void;

/** A node:http server whose every request goes to `handler`, with the attempt number (1, 2, ...). */
async function serve(handler: Handler): Promise<{ url: string; attempts: () => number; close(): Promise<void> }> {
  let attempts = 0;
  const server = http.createServer((req, res) => handler(req, res, ++attempts));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/stream`,
    attempts: () => attempts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SSE_HEAD = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

async function collect(url: string, options: ConnectSseOptions): Promise<{ messages: SseMessage[]; error?: unknown }> {
  const messages: SseMessage[] = [];
  try {
    for await (const message of connectSse(url, options)) messages.push(message as SseMessage);
    return { messages };
  } catch (error) {
    return { messages, error };
  }
}

describe('connectSse bounds what a server can make it buffer', () => {
  it('ends with SseEventTooLargeError on an endless line, having held at most the limit', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, SSE_HEAD);
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        // An endless `data:` line, never ended; stops when the client hangs up.
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.write('data: ');
      pump();
    });
    try {
      const limit = 1024 * 1024;
      const { messages, error } = await collect(server.url, { maxEventBytes: limit, reconnect: true });
      expect(messages).toEqual([]);
      expect(error).toBeInstanceOf(SseEventTooLargeError);
      const tooLarge = error as SseEventTooLargeError;
      expect(tooLarge.maxEventBytes).toBe(limit);
      // Refused at the chunk that crossed the limit.
      expect(tooLarge.size).toBeGreaterThan(limit);
      expect(tooLarge.size).toBeLessThan(limit + 256 * 1024);
      expect(tooLarge.message).toMatch(/maxEventBytes.*Raise `maxEventBytes`/);
      // No reconnect after it: the server saw one request.
      expect(server.attempts()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('ends on an event of many small lines past the limit; events within it pass whole', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, SSE_HEAD);
      res.write(`id: 1\ndata: ${'a'.repeat(1000)}\n\n`);
      for (let i = 0; i < 200; i++) res.write(`data: ${'b'.repeat(100)}\n`);
      res.end();
    });
    try {
      const { messages, error } = await collect(server.url, { maxEventBytes: 10_000 });
      expect(messages.map((m) => m.data.length)).toEqual([1000]);
      expect(error).toBeInstanceOf(SseEventTooLargeError);
    } finally {
      await server.close();
    }
  });

  it('takes an 8 MiB event with the default limit (16 MiB)', async () => {
    const big = 'z'.repeat(8 * 1024 * 1024);
    const server = await serve((_req, res, attempt) => {
      if (attempt > 1) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, SSE_HEAD);
      res.end(`id: 1\ndata: ${big}\n\n`);
    });
    try {
      const { messages, error } = await collect(server.url, { minRetryDelay: 0, retry: 1 });
      expect(error).toBeUndefined();
      expect(messages.map((m) => m.data.length)).toEqual([big.length]);
    } finally {
      await server.close();
    }
  });
});

describe('connectSse retries what a server asks it to retry', () => {
  it('waits out a 503 Retry-After (seconds), counting it as a failure, then connects', async () => {
    const asked: number[] = [];
    const server = await serve((_req, res, attempt) => {
      asked.push(Date.now());
      if (attempt === 1) {
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('busy');
        return;
      }
      if (attempt === 2) {
        res.writeHead(200, SSE_HEAD).end('id: 1\ndata: hello\n\n');
        return;
      }
      res.writeHead(204).end();
    });
    try {
      const retries: SseRetryInfo[] = [];
      const { messages, error } = await collect(server.url, { minRetryDelay: 0, retry: 1, onRetry: (info) => retries.push(info) });
      expect(error).toBeUndefined();
      expect(messages.map((m) => m.data)).toEqual(['hello']);
      expect(retries[0]).toMatchObject({ failures: 1, status: 503, retryAfterMs: 1000 });
      expect(asked[1]! - asked[0]!).toBeGreaterThanOrEqual(990);
    } finally {
      await server.close();
    }
  });

  it('reads a 429 Retry-After given as an HTTP date, and caps a long one at maxRetryAfter', async () => {
    const server = await serve((_req, res, attempt) => {
      if (attempt === 1) {
        res.writeHead(429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() }).end();
        return;
      }
      if (attempt === 2) {
        res.writeHead(503, { 'retry-after': '3600' }).end();
        return;
      }
      res.writeHead(204).end();
    });
    try {
      const retries: SseRetryInfo[] = [];
      const started = Date.now();
      const { error } = await collect(server.url, { minRetryDelay: 0, maxRetryAfter: 200, onRetry: (info) => retries.push(info) });
      expect(error).toBeUndefined();
      expect(retries.map((r) => [r.status, r.failures])).toEqual([
        [429, 1],
        [503, 2],
      ]);
      // HTTP dates have a one-second resolution.
      expect(retries[0]!.retryAfterMs).toBeGreaterThan(900);
      expect(retries.every((r) => r.delayMs <= 200)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await server.close();
    }
  });

  it('backs off on 500, 502 and 408 without Retry-After; 4xx and 501 stay final', async () => {
    const statuses = [500, 502, 408];
    const server = await serve((_req, res, attempt) => {
      const status = statuses[attempt - 1];
      if (status) res.writeHead(status).end();
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"gone"}');
    });
    try {
      const retries: SseRetryInfo[] = [];
      const { error } = await collect(server.url, { retry: 20, minRetryDelay: 0, onRetry: (info) => retries.push(info) });
      expect(retries.map((r) => [r.status, r.failures])).toEqual([
        [500, 1],
        [502, 2],
        [408, 3],
      ]);
      // Exponential: 20, 40, 80 ms at most.
      retries.forEach((r, i) => expect(r.delayMs).toBeLessThanOrEqual(20 * 2 ** i));
      expect(error).toBeInstanceOf(SseHttpError);
      expect((error as SseHttpError).status).toBe(404);
      expect(server.attempts()).toBe(4);
    } finally {
      await server.close();
    }
    for (const status of [400, 401, 403, 410, 501]) {
      const once = await serve((_req, res) => res.writeHead(status).end());
      try {
        const { error } = await collect(once.url, { minRetryDelay: 0 });
        expect((error as SseHttpError).status).toBe(status);
        expect(once.attempts()).toBe(1);
      } finally {
        await once.close();
      }
    }
  });

  it('gives up after maxRetries retryable answers in a row with the last SseHttpError', async () => {
    const server = await serve((_req, res) => res.writeHead(503, { 'retry-after': '0' }).end());
    try {
      const { error } = await collect(server.url, { minRetryDelay: 0, maxRetries: 3 });
      expect(error).toBeInstanceOf(SseHttpError);
      expect((error as SseHttpError).status).toBe(503);
      expect(server.attempts()).toBe(4);
    } finally {
      await server.close();
    }
  });
});

describe('connectSse never reconnects in a tight loop', () => {
  it('counts a 200 that ends before any event as a failure: it backs off, then gives up after maxRetries', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, SSE_HEAD);
      res.end(': hello\n\nretry: 0\n\n');
    });
    try {
      const retries: SseRetryInfo[] = [];
      const { error } = await collect(server.url, { retry: 40, minRetryDelay: 40, maxRetries: 4, onRetry: (info) => retries.push(info) });
      expect(error).toBeInstanceOf(SseConnectionError);
      expect(retries.map((r) => r.failures)).toEqual([1, 2, 3, 4]);
      // retry: 0 from the server is held at the floor, and the waits grow.
      expect(retries.every((r) => r.delayMs >= 40)).toBe(true);
      expect(retries[3]!.delayMs).toBeGreaterThanOrEqual(retries[0]!.delayMs);
      expect(server.attempts()).toBe(5);
    } finally {
      await server.close();
    }
  });

  it("holds a server's retry: 0 at the floor after streams that work (100 ms by default)", async () => {
    const server = await serve((req, res, attempt) => {
      if (attempt > 3) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, SSE_HEAD);
      res.end(`retry: 0\nid: ${attempt}\ndata: ${attempt}\n\n`);
    });
    try {
      const retries: SseRetryInfo[] = [];
      const started = Date.now();
      const { messages } = await collect(server.url, { onRetry: (info) => retries.push(info) });
      expect(messages.map((m) => m.data)).toEqual(['1', '2', '3']);
      expect(retries.map((r) => r.failures)).toEqual([0, 0, 0]);
      expect(retries.every((r) => r.delayMs >= 100 && r.delayMs <= 150)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await server.close();
    }
  });

  it('refuses options that would spin or never reconnect, before any request', () => {
    expect(() => connectSse('http://127.0.0.1:1/x', { minRetryDelay: -1 })).toThrow(/minRetryDelay is -1/);
    expect(() => connectSse('http://127.0.0.1:1/x', { maxEventBytes: 0 })).toThrow(/maxEventBytes is 0/);
    expect(() => connectSse('http://127.0.0.1:1/x', { maxRetries: 1.5 })).toThrow(/maxRetries is 1.5/);
    expect(() => connectSse('http://127.0.0.1:1/x', { minRetryDelay: 5000, maxRetryDelay: 100 })).toThrow(/minRetryDelay is larger/);
  });
});

describe('connectSse keeps memory flat over a long session', () => {
  it('100,000 events over 1,000 reconnects: no growth of heap, listeners or timers', async () => {
    const server = await serve((req, res, attempt) => {
      const from = Number(req.headers['last-event-id'] ?? 0);
      if (attempt > 1000) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, SSE_HEAD);
      let body = '';
      for (let i = from + 1; i <= from + 100; i++) body += `id: ${i}\ndata: ${i}\n\n`;
      res.end(body);
    });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const signal = new AbortController().signal;
    try {
      let count = 0;
      let last = 0;
      let heapAfter100 = 0;
      let timersAfter100 = 0;
      const timers = () =>
        (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      for await (const message of connectSse(server.url, { minRetryDelay: 0, retry: 0, signal })) {
        count++;
        last = Number(message.data);
        if (count === 10_000) {
          gc();
          heapAfter100 = process.memoryUsage().heapUsed;
          timersAfter100 = timers();
        }
      }
      gc();
      gc();
      const growth = process.memoryUsage().heapUsed - heapAfter100;
      expect(count).toBe(100_000);
      expect(last).toBe(100_000);
      expect(server.attempts()).toBe(1001);
      expect(growth).toBeLessThan(4 * 1024 * 1024);
      // Every attempt let go of the caller's signal.
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      expect(timers()).toBeLessThanOrEqual(timersAfter100);
    } finally {
      await server.close();
    }
  }, 60_000);
});

@Controller()
class LimitedController {
  @Sse('limited')
  async *limited() {
    yield 'in';
    await new Promise((resolve) => setTimeout(resolve, 600));
    yield 'out';
  }

  @Sse('per-user', {
    connectionsPerKey: { key: (req) => (req as { headers: Record<string, string | undefined> }).headers['x-user'], max: 1 },
  })
  async *perUser() {
    yield 'in';
    await new Promise((resolve) => setTimeout(resolve, 600));
    yield 'out';
  }
}

@Module({
  imports: [
    SseModule.forRoot({
      heartbeat: false,
      maxConnections: 2,
      retryAfterSeconds: 1,
      retry: 10,
    }),
  ],
  controllers: [LimitedController],
})
class LimitedModule {}

describe.each(PLATFORMS)('connectSse and our own server agree on 503 Retry-After (%s)', (platform) => {
  it('a second tab of a user turned away by connectionsPerKey (429) comes back after Retry-After', async () => {
    const running = await startApp(platform, LimitedModule);
    try {
      const headers = { 'x-user': 'ann' };
      const first = connectSse(`${running.url}/per-user`, { reconnect: false, headers });
      const iterator = first[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toMatchObject({ data: 'in' });
      const retries: SseRetryInfo[] = [];
      const second = connectSse(`${running.url}/per-user`, { headers, maxRetries: 5, onRetry: (info) => retries.push(info) });
      const secondFirst = second[Symbol.asyncIterator]().next();
      await until(() => retries.length >= 1, 5000, 'the 429');
      expect(retries[0]).toMatchObject({ status: 429, retryAfterMs: 1000, failures: 1 });
      await iterator.return?.();
      expect((await secondFirst).value).toMatchObject({ data: 'in' });
      await second.close();
    } finally {
      await running.close();
    }
  });

  it('a client turned away past maxConnections comes back after Retry-After and gets its stream', async () => {
    const running = await startApp(platform, LimitedModule);
    try {
      const holders = [
        connectSse(`${running.url}/limited`, { reconnect: false }),
        connectSse(`${running.url}/limited`, { reconnect: false }),
      ];
      const iterators = holders.map((holder) => holder[Symbol.asyncIterator]());
      for (const iterator of iterators) expect((await iterator.next()).value).toMatchObject({ data: 'in' });
      const retries: SseRetryInfo[] = [];
      const third = connectSse(`${running.url}/limited`, { maxRetries: 5, onRetry: (info) => retries.push(info) });
      const thirdFirst = third[Symbol.asyncIterator]().next();
      await until(() => retries.length >= 1, 5000, 'the 503');
      expect(retries[0]).toMatchObject({ status: 503, retryAfterMs: 1000, failures: 1 });
      await iterators[0]!.return?.();
      // Its stream opens after the wait.
      expect((await thirdFirst).value).toMatchObject({ data: 'in' });
      await third.close();
      await iterators[1]!.return?.();
    } finally {
      await running.close();
    }
  });
});
