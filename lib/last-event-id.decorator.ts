import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Longer values are ignored: ids are short, and an attacker's megabyte header should cost nothing. */
export const MAX_LAST_EVENT_ID_LENGTH = 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Node reads header bytes as latin1; the spec sends the id as UTF-8. */
function decodeHeader(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(value)) return value;
  // A character above U+00FF is not a latin1-decoded byte: the value was already decoded (an
  // in-process request such as Fastify's inject). Re-encoding it as latin1 would mangle it.
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return undefined;
  }
}

/** Reads the Last-Event-ID of a request: header first, then the `lastEventId` query parameter. */
export function readLastEventId(request: { headers?: Record<string, unknown>; query?: unknown }): string | undefined {
  const header = request.headers?.['last-event-id'];
  let value: string | undefined = typeof header === 'string' ? decodeHeader(header) : undefined;
  if (value === undefined) {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const fromQuery = Array.isArray(query.lastEventId) ? query.lastEventId[0] : query.lastEventId;
    if (typeof fromQuery === 'string') value = fromQuery;
  }
  if (value === undefined || value === '' || value.length > MAX_LAST_EVENT_ID_LENGTH) return undefined;
  return value;
}

/**
 * Injects the id of the last event the client received (the `Last-Event-ID` header an
 * `EventSource` sends on reconnect, or the `lastEventId` query parameter for polyfills).
 * `undefined` on a first connect, or when the value is over-long or not valid UTF-8.
 *
 * @example @Sse('feed') feed(@LastEventId() lastEventId?: string) { return this.hub.subscribe('feed', { lastEventId }); }
 */
export const LastEventId: () => ParameterDecorator = createParamDecorator(lastEventIdFactory);

/** The factory behind `@LastEventId()`: a route that uses it resumes (`nest-event-stream/openapi` documents the header). */
export function lastEventIdFactory(_data: unknown, context: ExecutionContext): string | undefined {
  return readLastEventId(context.switchToHttp().getRequest());
}
