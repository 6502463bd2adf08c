/**
 * The bytes on the socket, below any HTTP client: frames are written as HTTP/1.1 chunks straight
 * to the socket, and the response falls back to `res.write()` where that is not safe (HTTP/1.0).
 */
import { Controller, Module } from '@nestjs/common';
import net from 'node:net';
import { Sse, SseHub, SseModule } from '../lib/index.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { until } from './support/until.js';

@Controller()
class WireController {
  constructor(private readonly hub: SseHub) {}

  @Sse('feed')
  feed() {
    return ['a', 'é😀'];
  }

  @Sse('room')
  room() {
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
  beforeAll(async () => {
    running = await startApp(platform, WireModule);
  });
  afterAll(() => running.close());

  it('HTTP/1.1: one chunk per frame with its byte length, then the terminating chunk', async () => {
    const response = await rawExchange(running.url, 'GET /feed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', (t) =>
      t.endsWith('0\r\n\r\n'),
    );
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(body(response)).toBe('9\r\ndata: a\n\n\r\ne\r\ndata: é😀\n\n\r\n0\r\n\r\n');
  });

  it('HTTP/1.0: no chunking (res.write path), the body ends with the connection', async () => {
    const response = await rawExchange(running.url, 'GET /feed HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.[01] 200/);
    expect(response.toLowerCase()).not.toContain('transfer-encoding');
    expect(body(response)).toBe('data: a\n\ndata: é😀\n\n');
  });

  it('HEAD: the head only, never a frame on the socket', async () => {
    // Everything the server sends within 300 ms (it would have streamed both frames by then).
    const all = await rawExchange(running.url, 'HEAD /feed HTTP/1.1\r\nHost: x\r\n\r\n', undefined, 300);
    expect(all).toMatch(/^HTTP\/1\.1 200/);
    expect(all.toLowerCase()).toContain('content-type: text/event-stream');
    expect(body(all)).toBe('');
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
  });
});
