import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * What differs between servers, and nothing else: where the raw request/response are, what
 * status and headers the route set before the stream started, and how to take the response
 * over from the framework. One implementation per server (express.ts, fastify.ts).
 */
export interface PlatformResponse {
  readonly request: IncomingMessage;
  /** The raw response (an HTTP/2 compatibility response under Fastify's `http2: true`). */
  readonly response: ServerResponse;
  /** Headers set by the route (`@Header()`, middleware, interceptors) that are not on the raw response yet. */
  routeHeaders(): OutgoingHttpHeaders;
  /** Removes a header set by the route (one that cannot be sent). */
  removeRouteHeader(name: string): void;
  /** The status the route set so far (`@HttpCode()`, an interceptor, a passthrough `res.status()`). */
  statusCode(): number;
  setStatusCode(code: number): void;
  /** Sets a header on a response the framework will still send (e.g. `Retry-After` on a 503). */
  setHeader(name: string, value: string): void;
  /** Tells the framework that the library writes the response from now on. */
  takeOver(): void;
}
