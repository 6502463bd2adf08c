/** Why a `connectSse()` iteration rejected. Each message says what to do about it. */
import { SseError } from '../errors.js';

function preview(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * The server answered with a status other than 200 (and other than 204, which ends the
 * iteration normally) that the client does not retry: a 401 stays a 401. (408, 429 and 5xx but
 * 501 are retried; after `maxRetries` of them in a row the last one is this error.)
 *
 * @example catch (err) { if (err instanceof SseHttpError && err.status === 401) await login(); }
 */
export class SseHttpError extends SseError {
  override name = 'SseHttpError';
  constructor(
    readonly url: string,
    /** The HTTP status, e.g. 401. */
    readonly status: number,
    readonly statusText: string,
    /** The response headers (`WWW-Authenticate`, `Retry-After`...). */
    readonly headers: Headers,
    /** The response body as text (e.g. Nest's JSON error), at most 64 KiB. */
    readonly body: string,
  ) {
    super(
      `${url} answered HTTP ${status}${statusText ? ` ${statusText}` : ''} instead of 200 with an event stream` +
        `${body ? `: ${preview(body)}` : ''}. ` +
        (status === 401 || status === 403
          ? 'Send the credentials the route expects (the `headers` option, e.g. Authorization).'
          : 'Check the URL, the method and the route; the client does not retry this status.'),
    );
  }
}

/** The server answered 200 with a body that is not `text/event-stream` (a JSON route, an HTML page...). */
export class SseContentTypeError extends SseError {
  override name = 'SseContentTypeError';
  constructor(
    readonly url: string,
    readonly status: number,
    /** The Content-Type the server sent (`''` when none). */
    readonly contentType: string,
  ) {
    super(
      `${url} answered with Content-Type ${contentType ? `"${contentType}"` : '(none)'}, not "text/event-stream". ` +
        'Point connectSse() at an @Sse() route, or make the server send text/event-stream.',
    );
  }
}

/** With `json: true`, an event's data was not valid JSON. */
export class SseJsonError extends SseError {
  override name = 'SseJsonError';
  constructor(
    readonly url: string,
    readonly event: string,
    readonly data: string,
    options: { cause: unknown },
  ) {
    super(
      `${url} sent a "${event}" event whose data is not JSON: ${JSON.stringify(preview(data, 80))}. ` +
        'Drop `json: true` to receive strings, or send JSON (an @Sse() handler sends strings as they are, objects as JSON).',
      options,
    );
  }
}

/** The server could not be reached `maxRetries + 1` times in a row; `cause` is the last network error. */
export class SseConnectionError extends SseError {
  override name = 'SseConnectionError';
  constructor(
    readonly url: string,
    /** Connection attempts made in a row without success. */
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    const cause = options.cause instanceof Error ? (options.cause.cause instanceof Error ? options.cause.cause : options.cause) : undefined;
    super(
      `Could not connect to ${url} after ${attempts} attempt${attempts === 1 ? '' : 's'}` +
        `${cause ? ` (${cause.message})` : ''}. Check that the server is up, or raise \`maxRetries\`.`,
      options,
    );
  }
}

/**
 * The server sent a line or an event larger than `maxEventBytes` (a runaway stream, or a line
 * without an end): the iteration ends rather than buffer it. Nothing past the limit was held.
 */
export class SseEventTooLargeError extends SseError {
  override name = 'SseEventTooLargeError';
  constructor(
    readonly url: string,
    /** The limit, `maxEventBytes`. */
    readonly maxEventBytes: number,
    /** Bytes of the line or event when it passed the limit (at least this large). */
    readonly size: number,
  ) {
    super(
      `${url} sent a line or event of more than ${maxEventBytes} bytes (maxEventBytes); the stream was closed instead of buffering it. ` +
        'Raise `maxEventBytes` if the server really sends events this large.',
    );
  }
}
