/**
 * `readEvents()`: one request to an SSE route, its events parsed, the connection always closed.
 * On node:http with a private socket (no agent), so no keep-alive socket outlives the call.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { createEventStreamDecoder, type EventStreamDecoder } from '../client/event-stream-decoder.js';
import { lastEventIdHeader } from '../client/last-event-id-header.js';
import type { SseMessage } from '../client/sse-message.js';
import { acquireBaseUrl, type SseTestTarget } from './server-url.js';

export interface ReadEventsOptions {
  /** Stop once this many events arrived. */
  count?: number;
  /** Stop once this returns true for an event (`events` includes it). */
  until?: (event: SseMessage, events: readonly SseMessage[]) => boolean;
  /**
   * Milliseconds to wait. Default `5000`. With `count` or `until`, running out rejects with
   * {@link ReadEventsTimeoutError}; without them, it resolves with what arrived (read for a while).
   */
  timeout?: number;
  /** Request headers (`Accept: text/event-stream` is sent unless you set another). */
  headers?: Record<string, string>;
  /** Sent as the `Last-Event-ID` header (UTF-8), as an EventSource does on reconnect. */
  lastEventId?: string;
  /** HTTP method. Default `'GET'`, or `'POST'` when there is a `body`. */
  method?: string;
  /** Request body; an object is sent as JSON (with `Content-Type: application/json` unless set). */
  body?: string | Uint8Array | object;
}

export interface ReadEventsResult {
  /** The HTTP status: 200 for a stream, or 401, 404, 204... (non-200 answers do not throw). */
  status: number;
  headers: IncomingHttpHeaders;
  /** Events received, in order (each `{ event, data, id, lastEventId, retry }`; `event` is `'message'` when unnamed). */
  events: SseMessage[];
  /** Comment lines received (heartbeats, padding), without the leading colon and space. */
  comments: string[];
  /** The body as received, decoded as UTF-8: the raw stream, or the error body of a non-stream answer. */
  text: string;
  /** Whether the server ended the response itself (rather than us closing it). */
  ended: boolean;
  /** Why the read stopped. */
  stoppedBy: 'count' | 'until' | 'end' | 'timeout';
}

/** `count` or `until` was not reached in time. `result` holds what did arrive. */
export class ReadEventsTimeoutError extends Error {
  override name = 'ReadEventsTimeoutError';
  constructor(
    readonly result: ReadEventsResult,
    what: string,
    where: string,
    timeoutMs: number,
  ) {
    const got = result.events.map((e) => (e.event === 'message' ? e.data : `${e.event}:${e.data}`)).slice(0, 10);
    super(
      `readEvents(${where}) timed out after ${timeoutMs} ms waiting for ${what}: ` +
        `HTTP ${result.status || '(no response)'}, ${result.events.length} event${result.events.length === 1 ? '' : 's'} received` +
        `${got.length ? ` ${JSON.stringify(got).slice(0, 300)}` : ''}. ` +
        'Raise `timeout`, or check that the route emits that much (and that a guard or filter did not answer instead).',
    );
  }
}

export const DEFAULT_READ_TIMEOUT_MS = 5000;

/**
 * Requests an SSE route and collects its events until `count` events, `until()`, the end of the
 * stream, or `timeout`; then closes the connection (the server sees the client leave and runs its
 * CleanUp) and resolves once the socket is closed. `target` is an `INestApplication` (listened on
 * 127.0.0.1:0 if it does not listen yet; `app.close()` closes it), a node `http.Server`, or a base URL.
 *
 * @example
 * const { status, events } = await readEvents(app, '/jobs/1/events', { count: 3 });
 * expect(events.map((e) => e.data)).toEqual(['10', '50', '100']);
 */
export async function readEvents(target: SseTestTarget, path: string, options: ReadEventsOptions = {}): Promise<ReadEventsResult> {
  const base = await acquireBaseUrl(target);
  try {
    return await request(base.url + (path.startsWith('/') ? path : `/${path}`), path, options);
  } finally {
    await base.release();
  }
}

function encodeBody(body: ReadEventsOptions['body'], headers: Record<string, string>): string | Uint8Array | undefined {
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) return body;
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  return JSON.stringify(body);
}

function request(url: string, path: string, options: ReadEventsOptions): Promise<ReadEventsResult> {
  const timeoutMs = options.timeout ?? DEFAULT_READ_TIMEOUT_MS;
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.lastEventId !== undefined) headers['last-event-id'] = lastEventIdHeader(options.lastEventId);
  const body = encodeBody(options.body, headers);
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const waitsFor = options.count !== undefined ? `${options.count} events` : options.until ? 'until() to return true' : undefined;

  return new Promise((resolve, reject) => {
    const result: ReadEventsResult = { status: 0, headers: {}, events: [], comments: [], text: '', ended: false, stoppedBy: 'end' };
    const chunks: Buffer[] = [];
    let decoder: EventStreamDecoder | undefined;
    let settled = false;
    let closed = false;
    const req = http.request(url, { method, headers, agent: false });

    const finish = (stoppedBy: ReadEventsResult['stoppedBy'], error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.stoppedBy = stoppedBy;
      result.text = Buffer.concat(chunks).toString('utf8');
      if (decoder) result.comments = decoder.comments;
      const outcome = () => {
        if (error) reject(error);
        else if (stoppedBy === 'timeout' && waitsFor) reject(new ReadEventsTimeoutError(result, waitsFor, `${method} ${path}`, timeoutMs));
        else resolve(result);
      };
      // Settle only once the socket is really closed: no handle outlives the call, and a test
      // that asserts the server's CleanUp next only has to wait for the server side.
      req.destroy();
      if (closed) outcome();
      else req.once('close', outcome);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);

    const take = (messages: SseMessage[]) => {
      for (const message of messages) {
        if (settled) return;
        result.events.push(message);
        if (options.count !== undefined && result.events.length >= options.count) finish('count');
        else if (options.until?.(message, result.events)) finish('until');
      }
    };

    req.once('close', () => (closed = true));
    req.on('error', (error) => finish('end', settled ? undefined : error));
    req.on('response', (res) => {
      result.status = res.statusCode ?? 0;
      result.headers = res.headers;
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.split(';')[0].trim().toLowerCase() === 'text/event-stream') {
        decoder = createEventStreamDecoder({ lastEventId: options.lastEventId, keepComments: true });
      }
      if (options.count === 0) finish('count');
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (decoder) take(decoder.push(chunk));
      });
      res.on('end', () => {
        if (decoder) take(decoder.end());
        result.ended = true;
        finish('end');
      });
      // The server dropped the connection mid-stream: what arrived is the result.
      res.on('error', () => finish('end'));
      res.on('close', () => finish('end'));
    });
    req.end(body);
  });
}
