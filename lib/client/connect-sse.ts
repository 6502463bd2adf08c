/**
 * `connectSse()`: an `EventSource` as an async iterable, on `fetch`. It reconnects like the
 * WHATWG spec says (wait `retry`, resend with `Last-Event-ID`), stops on 204, and rejects with a
 * typed error where `EventSource` would only fire an opaque `error` event.
 */
import { linkedController } from './abort-link.js';
import { SseConnectionError, SseContentTypeError, SseEventTooLargeError, SseHttpError, SseJsonError } from './client-errors.js';
import {
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_MAX_RETRY_DELAY_MS,
  DEFAULT_MIN_RETRY_DELAY_MS,
  DEFAULT_RETRY_MS,
  type ConnectSseOptions,
} from './connect-sse-options.js';
import { createEventStreamDecoder } from './event-stream-decoder.js';
import { lastEventIdHeader } from './last-event-id-header.js';
import { readBodyText } from './read-body-text.js';
import { EventSizeGuard } from './event-size-guard.js';
import { reconnectDelay, retryAfterDelay, sleep } from './reconnect-delay.js';
import { isRetryableStatus, parseRetryAfter } from './retry-after.js';
import type { SseMessage, SseMessageOf, SseTextEventMap } from './sse-message.js';

/**
 * The iterable `connectSse()` returns. One iteration is one logical stream (reconnects
 * included); `break`, `return()` or `close()` abort the request in flight at once.
 */
export interface SseStream<TMessage> extends AsyncIterableIterator<TMessage, void, undefined> {
  /** Stops the stream: aborts the request at once, and a pending `next()` resolves as done. */
  return(): Promise<IteratorResult<TMessage, void>>;
  /** Same as `return()`, for code that is not in a `for await` loop. */
  close(): Promise<void>;
  /** The id of the last event handed out (`''` for none): save it to resume later with `lastEventId`. */
  readonly lastEventId: string;
}

/**
 * Connects to a Server-Sent Events endpoint and yields its events, reconnecting with
 * `Last-Event-ID` when the stream ends or breaks. The iteration ends normally on HTTP 204. It
 * retries 408, 429 and 5xx but 501 (after their `Retry-After`, else with backoff), and rejects
 * with {@link SseHttpError} on another status, {@link SseContentTypeError} when the body is not
 * `text/event-stream`, {@link SseEventTooLargeError} on a line or event over `maxEventBytes`, and
 * {@link SseConnectionError} (or the last `SseHttpError`) after `maxRetries` failed attempts in a
 * row. The event map type argument types `data` per event name; it is a
 * promise you make about the server, not a runtime check.
 *
 * @example
 * for await (const msg of connectSse<{ progress: { percent: number }; done: { url: string } }>(url, { json: true })) {
 *   if (msg.event === 'progress') bar.value = msg.data.percent;
 *   else if (msg.event === 'done') { open(msg.data.url); break; }
 * }
 */
export function connectSse<TEvents extends object = Record<string, unknown>>(
  url: string | URL,
  options: ConnectSseOptions & { json: true },
): SseStream<SseMessageOf<TEvents>>;
export function connectSse<TEvents extends SseTextEventMap<TEvents> = Record<string, string>>(
  url: string | URL,
  options?: ConnectSseOptions & { json?: false },
): SseStream<SseMessageOf<TEvents>>;
export function connectSse(url: string | URL, options?: ConnectSseOptions): SseStream<SseMessage<string, unknown>>;
export function connectSse(url: string | URL, options: ConnectSseOptions = {}): SseStream<SseMessage<string, unknown>> {
  checkOptions(options);
  const stop = new AbortController();
  const state = { lastEventId: options.lastEventId ?? '' };
  const messages = consume(String(url), options, stop.signal, state);
  const stream: SseStream<SseMessage<string, unknown>> = {
    next: () => messages.next(),
    return: () => {
      // Abort first: a `next()` blocked on the network cannot be resumed by the generator's own return().
      stop.abort();
      return messages.return(undefined);
    },
    close: async () => {
      await stream.return();
    },
    get lastEventId() {
      return state.lastEventId;
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

const NUMERIC_OPTIONS = ['retry', 'minRetryDelay', 'maxRetryDelay', 'maxRetryAfter', 'maxRetries', 'maxEventBytes'] as const;

/** A bad number would make the client spin or never reconnect: refused before any request. */
function checkOptions(options: ConnectSseOptions): void {
  for (const name of NUMERIC_OPTIONS) {
    const value = options[name];
    if (value === undefined) continue;
    const integer = name === 'maxRetries' || name === 'maxEventBytes';
    if (
      typeof value !== 'number' ||
      Number.isNaN(value) ||
      value < (name === 'maxEventBytes' ? 1 : 0) ||
      (integer && !Number.isInteger(value) && value !== Infinity)
    ) {
      throw new TypeError(
        `connectSse(url, { ${name} }): ${name} is ${String(value)}; expected a ${integer ? 'whole ' : ''}number${name === 'maxEventBytes' ? ' of bytes, at least 1' : ' of ms, 0 or more'}.`,
      );
    }
  }
  const { textEvents } = options;
  if (textEvents !== undefined && (!Array.isArray(textEvents) || textEvents.some((name) => typeof name !== 'string'))) {
    throw new TypeError("connectSse(url, { textEvents }): expected an array of event names, e.g. ['token'].");
  }
  if ((options.minRetryDelay ?? DEFAULT_MIN_RETRY_DELAY_MS) > (options.maxRetryDelay ?? DEFAULT_MAX_RETRY_DELAY_MS)) {
    throw new TypeError('connectSse(url, options): minRetryDelay is larger than maxRetryDelay.');
  }
}

function isEventStream(contentType: string): boolean {
  return contentType.split(';')[0].trim().toLowerCase() === 'text/event-stream';
}

function parseData(url: string, message: SseMessage): SseMessage<string, unknown> {
  if (message.data === '') return { ...message, data: undefined };
  try {
    return { ...message, data: JSON.parse(message.data) as unknown };
  } catch (cause) {
    throw new SseJsonError(url, message.event, message.data, { cause });
  }
}

async function buildHeaders(options: ConnectSseOptions, lastEventId: string): Promise<Headers> {
  const headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers);
  headers.set('accept', 'text/event-stream');
  // An empty id (the server sent `id:` alone) means "no id": the spec sends no header then.
  if (lastEventId !== '') headers.set('last-event-id', lastEventIdHeader(lastEventId));
  else headers.delete('last-event-id');
  return headers;
}

/** The reconnect loop. `stop` is our own abort (`break`/`return()`); `options.signal` is the caller's. */
async function* consume(
  url: string,
  options: ConnectSseOptions,
  stop: AbortSignal,
  state: { lastEventId: string },
): AsyncGenerator<SseMessage<string, unknown>, void, undefined> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const userSignal = options.signal;
  const maxRetries = options.maxRetries ?? Infinity;
  const minRetryDelay = options.minRetryDelay ?? DEFAULT_MIN_RETRY_DELAY_MS;
  const maxRetryDelay = options.maxRetryDelay ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const maxRetryAfter = Math.max(options.maxRetryAfter ?? DEFAULT_MAX_RETRY_AFTER_MS, minRetryDelay);
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  let retry = options.retry ?? DEFAULT_RETRY_MS;
  let failures = 0;
  const run = linkedController([stop, userSignal]);
  /** Whether to end the iteration now: normally for our stop, by rejecting for the caller's signal. */
  const stopped = (): boolean => {
    if (userSignal?.aborted && !stop.aborted) throw userSignal.reason;
    return stop.aborted;
  };

  try {
    for (;;) {
      if (stopped()) return;
      const headers = await buildHeaders(options, state.lastEventId);
      const attempt = linkedController([run.controller.signal]);
      let response: Response | undefined;
      let fetchError: unknown;
      try {
        response = await fetchFn(url, {
          method: options.method ?? 'GET',
          headers,
          body: options.body,
          signal: attempt.controller.signal,
          cache: 'no-store',
          redirect: 'follow',
        });
      } catch (error) {
        fetchError = error;
      }
      if (!response) {
        attempt.unlink();
        if (stopped()) return;
        failures++;
        if (failures > maxRetries || options.reconnect === false) throw new SseConnectionError(url, failures, { cause: fetchError });
        await pause({ failures, error: fetchError });
        continue;
      }

      let streamError: unknown;
      let delivered = false;
      /** A retryable status: its Retry-After (ms), if any. */
      let retryStatus: { status: number; retryAfterMs: number | undefined } | undefined;
      try {
        // 204 is how a server says "do not reconnect" (an @Sse() handler returning null).
        if (response.status === 204) return;
        if (response.status !== 200) {
          const error = new SseHttpError(url, response.status, response.statusText, response.headers, await readBodyText(response));
          // 503/429 (maxConnections, connectionsPerKey, an overloaded proxy) and the like are
          // retried after their Retry-After; other statuses are final, as for EventSource.
          if (!isRetryableStatus(response.status) || options.reconnect === false) throw error;
          failures++;
          if (failures > maxRetries) throw error;
          retryStatus = { status: response.status, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
        } else {
          const contentType = response.headers.get('content-type') ?? '';
          if (!isEventStream(contentType) || !response.body) throw new SseContentTypeError(url, response.status, contentType);
          await options.onOpen?.(response);

          const decoder = createEventStreamDecoder({ lastEventId: state.lastEventId, retry, onRetry: (ms) => (retry = ms) });
          const guard = new EventSizeGuard(maxEventBytes);
          const reader = response.body.getReader();
          for (;;) {
            let chunk: ReadableStreamReadResult<Uint8Array>;
            try {
              chunk = await reader.read();
            } catch (error) {
              // The connection broke (server gone, socket reset) or we aborted it: see stopped() below.
              streamError = error;
              break;
            }
            // Counted before it is decoded: a runaway line is refused, never held. The events
            // before it in the same chunk are still handed out.
            const over = chunk.done ? undefined : guard.push(chunk.value);
            const batch = chunk.done ? decoder.end() : decoder.push(over ? chunk.value.subarray(0, over.within) : chunk.value);
            for (const message of batch) {
              const out = options.json && !options.textEvents?.includes(message.event) ? parseData(url, message) : message;
              state.lastEventId = message.lastEventId;
              // The stream works: what fails next starts a new count.
              delivered = true;
              failures = 0;
              yield out;
            }
            if (over) throw new SseEventTooLargeError(url, maxEventBytes, over.size);
            if (chunk.done) break;
          }
        }
      } finally {
        // Closes the socket whatever happened, also when the consumer left at a `yield`:
        // the server sees the connection end at once and runs its CleanUp.
        attempt.controller.abort();
        attempt.unlink();
      }
      if (stopped()) return;
      if (retryStatus) {
        await pause({ failures, ...retryStatus });
        continue;
      }
      if (options.reconnect === false) {
        if (streamError !== undefined) throw streamError;
        return;
      }
      if (!delivered) {
        // Answered 200 and ended (or broke) before any event: a failed attempt, so it backs off
        // instead of looping.
        failures++;
        if (failures > maxRetries) {
          throw new SseConnectionError(url, failures, { cause: streamError ?? new Error('the stream ended before its first event') });
        }
      }
      await pause({ failures: delivered ? 0 : failures, error: streamError });
    }
  } finally {
    run.unlink();
  }

  async function pause(why: { failures: number; error?: unknown; status?: number; retryAfterMs?: number }): Promise<void> {
    const { failures: failuresInARow, error, status, retryAfterMs } = why;
    const delayMs =
      retryAfterMs !== undefined
        ? retryAfterDelay(retryAfterMs, minRetryDelay, maxRetryAfter)
        : reconnectDelay({ retryMs: retry, minDelayMs: minRetryDelay, maxDelayMs: maxRetryDelay }, failuresInARow);
    options.onRetry?.({
      failures: failuresInARow,
      delayMs,
      lastEventId: state.lastEventId,
      ...(error !== undefined && { error }),
      ...(status !== undefined && { status }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
    await sleep(delayMs, run.controller.signal);
  }
}
