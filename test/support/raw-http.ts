/** A wire-level client on node:http: the bytes exactly as the server wrote them. */
import http, { type IncomingHttpHeaders } from 'node:http';
import { until } from './until.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  /** Everything received so far, decoded as UTF-8. */
  text(): string;
  bytes(): Buffer;
  chunks: Buffer[];
  ended: boolean;
  /** Waits until the received text satisfies the predicate. */
  waitFor(predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  waitForEnd(timeoutMs?: number): Promise<string>;
  /** Stops reading (socket backpressure), then resume() reads again. */
  pause(): void;
  resume(): void;
  destroy(): void;
  socketClosed(): boolean;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export function openRaw(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers: { accept: 'text/event-stream', ...options.headers },
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let closed = false;
      const raw: RawResponse = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        rawHeaders: res.rawHeaders,
        chunks,
        ended: false,
        text: () => Buffer.concat(chunks).toString('utf8'),
        bytes: () => Buffer.concat(chunks),
        waitFor: async (predicate, timeoutMs = 5000) => {
          await until(() => predicate(raw.text()), timeoutMs, 'expected bytes');
          return raw.text();
        },
        waitForEnd: async (timeoutMs = 5000) => {
          await until(() => raw.ended, timeoutMs, 'end of response');
          return raw.text();
        },
        pause: () => res.pause(),
        resume: () => res.resume(),
        destroy: () => {
          req.destroy();
          res.destroy();
        },
        socketClosed: () => closed,
      };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (raw.ended = true));
      res.on('error', () => undefined);
      res.socket.on('close', () => (closed = true));
      resolve(raw);
    });
    req.end(options.body);
  });
}
