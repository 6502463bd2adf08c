/**
 * Typed errors a developer can hit. Plain TypeScript (no Nest imports) so that `wire/` and
 * `source/` can throw them. Each message names the value and says what to do.
 */

function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Base class of every error thrown by nest-event-stream. */
export class SseError extends Error {
  override name = 'SseError';
}

/**
 * An `event`, `id`, `retry` or `comment` value that cannot be written without corrupting the
 * stream. It is never written: the stream ends with an `event: error` frame instead.
 */
export class SseFieldError extends SseError {
  override name = 'SseFieldError';
  constructor(
    readonly field: 'event' | 'id' | 'retry' | 'comment',
    readonly value: unknown,
    reason: string,
  ) {
    super(`Invalid SSE "${field}" value ${preview(value)}: ${reason}`);
  }
}

/** The serializer failed or returned something that is not a string. */
export class SseSerializationError extends SseError {
  override name = 'SseSerializationError';
  constructor(value: unknown, detail: string) {
    super(
      `Cannot serialize ${preview(value)} as SSE data: ${detail}. ` +
        'Yield a string, a number, a JSON-serializable object or an SseEvent, or configure `serializer` in SseModule.forRoot().',
    );
  }
}

/** A handler returned something that is not a stream source. */
export class SseSourceError extends SseError {
  override name = 'SseSourceError';
  constructor(route: string, value: unknown) {
    const kind = value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
    super(
      `@Sse() handler ${route} returned ${kind === 'string' ? `a string ${preview(value)}` : `a ${kind}`}, which is not a stream. ` +
        'Return an async generator, an Observable, an AsyncIterable (Readable, ReadableStream), an array/Iterable, ' +
        'a Promise of one of these, or null (204 No Content). To send one string, return [value].',
    );
  }
}

/** Thrown into a stream whose client buffered more than `maxPendingBytes`. */
export class SseOverflowError extends SseError {
  override name = 'SseOverflowError';
  constructor(
    readonly pendingBytes: number,
    readonly maxPendingBytes: number,
  ) {
    super(
      `Client is not reading: ${pendingBytes} bytes pending exceed maxPendingBytes (${maxPendingBytes}). ` +
        'The connection was dropped; the client reconnects with its Last-Event-ID. Raise maxPendingBytes or publish less.',
    );
  }
}

/** Bad module or route options, found at start-up. */
export class SseOptionsError extends SseError {
  override name = 'SseOptionsError';
}

/** The route set a status or header that cannot be sent; found before anything was written, so the exception filters answer. */
export class SseHeadError extends SseError {
  override name = 'SseHeadError';
  constructor(what: string, reason: string) {
    super(
      `Cannot start the event stream: the route's ${what} cannot be sent (${reason}). Fix the value set by @Header(), an interceptor or the handler.`,
    );
  }
}
