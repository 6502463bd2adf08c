/**
 * The bytes on the socket, below any HTTP client, and which writer put them there: frames go as
 * HTTP/1.1 chunks straight to the socket (`direct-chunks`), and through `res.write()`
 * (`response`) wherever that would not be exactly the same bytes: HTTP/1.0, HEAD, compression,
 * a pipelined response still queued, HTTP/2.
 */
import fastifyCompress from '@fastify/compress';
import { Controller, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import compression from 'compression';
import http2 from 'node:http2';
import net from 'node:net';
import { CleanUp, Sse, SseHub, SseModule } from '../lib/index.js';
import { recordStreams, type StreamRecorder } from './support/diagnostics.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { until } from './support/until.js';

const cleanedUp: string[] = [];

@Controller()
class WireController {
  constructor(private readonly hub: SseHub) {}

  @Sse('feed')
  feed() {
    return ['a', 'é😀'];
  }

  @Sse('room')
  room(cleanUp: CleanUp) {
    cleanUp.add(() => cleanedUp.push(`room:${cleanUp.reason}`));
    return this.hub.subscribe('wire');
  }

  @Sse('queued')
  queued(cleanUp: CleanUp) {
    cleanUp.add(() => cleanedUp.push(`queued:${cleanUp.reason}`));
    return this.hub.subscribe('wire');
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [WireController] })
class WireModule {}

/** Sends a raw request and collects every byte until the server closes, `done` says so, or `forMs` passed. */
function rawExchange(url: string, request: string, done: (text: string) => boolean = () => false, forMs?: number): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
    let text = '';
    if (forMs !== undefined) {
      setTimeout(() => {
        socket.destroy();
        resolve(text);
      }, forMs);
    }
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (done(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

const body = (response: string) => response.slice(response.indexOf('\r\n\r\n') + 4);

describe.each(PLATFORMS)('wire paths (%s)', (platform) => {
  let running: RunningApp;
  let streams: StreamRecorder;
  beforeAll(async () => {
    running = await startApp(platform, WireModule);
    streams = recordStreams();
  });
  afterAll(async () => {
    streams.stop();
    await running.close();
  });
  beforeEach(() => streams.clear());

  it('HTTP/1.1: one chunk per frame with its byte length, then the terminating chunk', async () => {
    const response = await rawExchange(running.url, 'GET /feed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', (t) =>
      t.endsWith('0\r\n\r\n'),
    );
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(body(response)).toBe('9\r\ndata: a\n\n\r\ne\r\ndata: é😀\n\n\r\n0\r\n\r\n');
    expect(streams.writersOf('GET /feed')).toEqual(['direct-chunks']);
  });

  it('HTTP/1.0: no chunking (res.write path), the body ends with the connection', async () => {
    const response = await rawExchange(running.url, 'GET /feed HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.[01] 200/);
    expect(response.toLowerCase()).not.toContain('transfer-encoding');
    expect(body(response)).toBe('data: a\n\ndata: é😀\n\n');
    expect(streams.writersOf('GET /feed')).toEqual(['response']);
  });

  it('HEAD: the head only, never a frame on the socket', async () => {
    // Everything the server sends within 300 ms (it would have streamed both frames by then).
    const all = await rawExchange(running.url, 'HEAD /feed HTTP/1.1\r\nHost: x\r\n\r\n', undefined, 300);
    expect(all).toMatch(/^HTTP\/1\.1 200/);
    expect(all.toLowerCase()).toContain('content-type: text/event-stream');
    expect(body(all)).toBe('');
    expect(streams.writersOf('HEAD /feed')).toEqual(['response']);
  });

  it('HEAD ends the stream at once: no subscription is left running for it', async () => {
    const hub = running.app.get(SseHub);
    const all = await rawExchange(running.url, 'HEAD /room HTTP/1.1\r\nHost: x\r\n\r\n', undefined, 300);
    expect(all).toMatch(/^HTTP\/1\.1 200/);
    // Counted right after the head went out (the socket is still open, keep-alive).
    expect(hub.connections('wire')).toBe(0);
  });

  it('a hub broadcast reaches HTTP/1.1 and HTTP/1.0 clients alike', async () => {
    const hub = running.app.get(SseHub);
    const eleven = rawExchange(running.url, 'GET /room HTTP/1.1\r\nHost: x\r\n\r\n', (t) => t.includes('data: two\n\n\r\n'));
    const ten = rawExchange(running.url, 'GET /room HTTP/1.0\r\nHost: x\r\n\r\n', (t) => t.includes('data: two\n\n'));
    await until(() => hub.connections('wire') === 2);
    const first = await hub.publish('wire', 'one');
    const second = await hub.publish('wire', 'two');
    const frames = `id: ${first}\ndata: one\n\nid: ${second}\ndata: two\n\n`;
    const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    expect(body(await eleven)).toBe(chunk(`id: ${first}\ndata: one\n\n`) + chunk(`id: ${second}\ndata: two\n\n`));
    expect(body(await ten)).toBe(frames);
    await until(() => hub.connections('wire') === 0);
    expect(streams.writersOf('GET /room').sort()).toEqual(['direct-chunks', 'response']);
  });

  it('pipelining: a response queued behind another goes through res.write(), and ends when the socket dies', async () => {
    const hub = running.app.get(SseHub);
    cleanedUp.length = 0;
    const { port } = new URL(running.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.write('GET /room HTTP/1.1\r\nHost: x\r\n\r\nGET /queued HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => hub.connections('wire') === 2);
    await until(() => streams.opened.length === 2);
    expect(streams.writersOf('GET /room')).toEqual(['direct-chunks']);
    expect(streams.writersOf('GET /queued')).toEqual(['response']);
    const id = await hub.publish('wire', 'first in line');
    await until(() => text.includes('first in line'));
    // Only the first response is on the wire; the queued one waits for it.
    expect(text.split('HTTP/1.1 200').length - 1).toBe(1);
    socket.destroy();
    await until(() => cleanedUp.length === 2);
    expect(cleanedUp.sort()).toEqual(['queued:client-gone', 'room:client-gone']);
    expect(hub.connections('wire')).toBe(0);
    expect(id).toBeDefined();
  });
});

describe.each(PLATFORMS)('wire paths with compression installed (%s)', (platform) => {
  let running: RunningApp;
  let streams: StreamRecorder;
  beforeAll(async () => {
    running = await startApp(platform, WireModule, {
      configure: async (app) => {
        if (platform === 'express') app.use(compression());
        else await (app as NestFastifyApplication).register(fastifyCompress as never, { global: true, threshold: 0 } as never);
      },
    });
    streams = recordStreams();
  });
  afterAll(async () => {
    streams.stop();
    await running.close();
  });

  it('frames are never compressed, and arrive whole', async () => {
    const response = await rawExchange(
      running.url,
      'GET /feed HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: close\r\n\r\n',
      (t) => t.endsWith('0\r\n\r\n'),
    );
    expect(response.toLowerCase()).not.toContain('content-encoding');
    expect(body(response)).toBe('9\r\ndata: a\n\n\r\ne\r\ndata: é😀\n\n\r\n0\r\n\r\n');
    // Express's compression() replaces res.write; Fastify's compresses the reply, which we take over.
    expect(streams.writersOf('GET /feed')).toEqual([platform === 'express' ? 'response' : 'direct-chunks']);
  });
});

describe('wire paths over HTTP/2 (fastify, h2c)', () => {
  let running: RunningApp;
  let streams: StreamRecorder;
  beforeAll(async () => {
    running = await startApp('fastify', WireModule, { http2: true });
    streams = recordStreams();
  });
  afterAll(async () => {
    streams.stop();
    await running.close();
  });

  function h2get(session: http2.ClientHttp2Session, path: string) {
    const request = session.request({ ':path': path, accept: 'text/event-stream' });
    const result = { headers: {} as http2.IncomingHttpHeaders, text: '', ended: false, request };
    request.setEncoding('utf8');
    request.on('response', (headers) => (result.headers = headers));
    request.on('data', (chunk: string) => (result.text += chunk));
    request.on('end', () => (result.ended = true));
    request.on('error', () => undefined);
    return result;
  }

  it('streams frames through res.write() with the SSE headers and no Connection header', async () => {
    const session = http2.connect(running.url);
    try {
      const feed = h2get(session, '/feed');
      await until(() => feed.ended);
      expect(feed.headers[':status']).toBe(200);
      expect(feed.headers['content-type']).toBe('text/event-stream');
      expect(feed.headers['cache-control']).toBe('no-cache, no-transform');
      expect(feed.headers.connection).toBeUndefined();
      expect(feed.text).toBe('data: a\n\ndata: é😀\n\n');
      expect(streams.writersOf('GET /feed')).toEqual(['response']);
    } finally {
      session.close();
    }
  });

  it('a hub broadcast arrives, and closing the HTTP/2 stream ends the SSE stream and runs CleanUp', async () => {
    const hub = running.app.get(SseHub);
    cleanedUp.length = 0;
    const session = http2.connect(running.url);
    try {
      const room = h2get(session, '/room');
      await until(() => hub.connections('wire') === 1);
      const id = await hub.publish('wire', 'over h2');
      await until(() => room.text.includes('over h2'));
      expect(room.text).toBe(`id: ${id}\ndata: over h2\n\n`);
      room.request.close(http2.constants.NGHTTP2_CANCEL);
      await until(() => cleanedUp.length === 1);
      expect(cleanedUp).toEqual(['room:client-gone']);
      expect(hub.connections('wire')).toBe(0);
    } finally {
      session.close();
    }
  });
});
