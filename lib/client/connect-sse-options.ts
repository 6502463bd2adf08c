/** Options of `connectSse()`. Times are in milliseconds, like `retry:` on the wire. */

/** A request body that can be sent again on every reconnect (so no one-shot `ReadableStream`). */
export type SseRequestBody = string | URLSearchParams | Blob | ArrayBuffer | Uint8Array<ArrayBuffer> | FormData;

/** Headers, or a function that builds them for each attempt (e.g. to send a fresh token). */
export type SseRequestHeaders = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/** Passed to `onRetry` before each wait for a reconnect. */
export interface SseRetryInfo {
  /** 0 after a stream that was open ended or broke; 1, 2, ... for failed attempts in a row. */
  failures: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** The `Last-Event-ID` the next attempt sends (`''` for none). */
  lastEventId: string;
  /** The network error, when there was one (a stream the server ended cleanly has none). */
  error?: unknown;
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
  /** Reconnection delay until the server sends `retry:`. Default `3000`, as browsers use. */
  retry?: number;
  /** Cap of the exponential backoff after failed attempts in a row. Default `30000`. */
  maxRetryDelay?: number;
  /** Failed attempts in a row (no response) before the iteration rejects with `SseConnectionError`. Default `Infinity`. */
  maxRetries?: number;
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
export const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
