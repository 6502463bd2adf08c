/** Options of `connectSse()`. Times are in milliseconds, like `retry:` on the wire. */

/** A request body that can be sent again on every reconnect (so no one-shot `ReadableStream`). */
export type SseRequestBody = string | URLSearchParams | Blob | ArrayBuffer | Uint8Array<ArrayBuffer> | FormData;

/** Headers, or a function that builds them for each attempt (e.g. to send a fresh token). */
export type SseRequestHeaders = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/** Passed to `onRetry` before each wait for a reconnect. */
export interface SseRetryInfo {
  /**
   * 0 after a stream that delivered events ended or broke; 1, 2, ... for failed attempts in a row
   * (no response, a retryable status, or a stream that ended before its first event).
   */
  failures: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** The `Last-Event-ID` the next attempt sends (`''` for none). */
  lastEventId: string;
  /** The network error, when there was one (a stream the server ended cleanly has none). */
  error?: unknown;
  /** The HTTP status that is retried (408, 429, 5xx but 501), when it was one. */
  status?: number;
  /** The server's `Retry-After`, in ms, when it sent one with that status. */
  retryAfterMs?: number;
}

export interface ConnectSseOptions {
  /** HTTP method. Default `'GET'`; use `'POST'` with `body` for `@Sse(path, { method: 'POST' })` routes. */
  method?: string;
  /** Request headers, sent on every attempt (`Accept` and `Last-Event-ID` are set for you). */
  headers?: SseRequestHeaders;
  /** Request body, sent again on every reconnect. */
  body?: SseRequestBody;
  /** Resume from this id: sent as `Last-Event-ID` on the first request too. Default: none. */
  lastEventId?: string;
  /** Aborts the request at once; the iteration then rejects with `signal.reason`. `break` is the quiet way to stop. */
  signal?: AbortSignal;
  /** Parse each event's data as JSON (empty data gives `undefined`). Default `false`: data is the string. */
  json?: boolean;
  /**
   * With `json: true`: events whose data is text, left as the string (e.g. `['token']` for a
   * route declaring `token: String`). Default: none.
   */
  textEvents?: readonly string[];
  /** Reconnection delay until the server sends `retry:`. Default `3000`, as browsers use. */
  retry?: number;
  /** Floor of every wait, also of a server's `retry:` (a `retry: 0` cannot make clients spin). Default `100`. */
  minRetryDelay?: number;
  /** Cap of every wait: a server's `retry:` and the exponential backoff after failed attempts in a row. Default `30000`. */
  maxRetryDelay?: number;
  /** Cap of a `Retry-After` the client honours (a longer one is waited this long). Default `60000`. */
  maxRetryAfter?: number;
  /**
   * Failed attempts in a row before the iteration rejects: with `SseConnectionError` (no
   * response) or the last `SseHttpError` (a retryable status). Default `Infinity`.
   */
  maxRetries?: number;
  /**
   * Largest line or event (bytes) the client buffers; past it the iteration rejects with
   * `SseEventTooLargeError`. Default 16 MiB.
   */
  maxEventBytes?: number;
  /** Reconnect when the stream ends or breaks. Default `true`; `false` ends the iteration with the response. */
  reconnect?: boolean;
  /** Called with each response that opens the stream (status 200, `text/event-stream`); a returned promise is awaited. */
  onOpen?: (response: Response) => unknown;
  /** Called before each wait for a reconnect. */
  onRetry?: (info: SseRetryInfo) => void;
  /** The `fetch` to use. Default: the global one. */
  fetch?: typeof fetch;
}

export const DEFAULT_RETRY_MS = 3000;
export const DEFAULT_MIN_RETRY_DELAY_MS = 100;
export const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;
