/**
 * Hands one stream's CleanUp from the interceptor, which makes it, to what reads it later in the
 * same request: `@InjectCleanUp()`, Nest's `@SseSignal()` and the handler wrapper of `@Sse()`.
 * Data flows one way: the interceptor writes it, the others read it.
 */
import * as nestCommon from '@nestjs/common';
import type { CleanUp } from './clean-up.js';

/** Nest 12.5's carrier of the SSE AbortController on the request (absent in older 12.x). */
const SSE_ABORT_CONTROLLER = (nestCommon as { SSE_ABORT_CONTROLLER?: symbol }).SSE_ABORT_CONTROLLER;

const byResponse = new WeakMap<object, CleanUp>();

/**
 * Keyed by the response object Nest hands out (Express `res`, Fastify `reply`), weakly, so nothing
 * outlives the request. `@SseSignal()` reads `request[SSE_ABORT_CONTROLLER].signal`: the CleanUp
 * has that `signal`, aborted when the stream ends, as Nest's own is.
 */
export function bindStreamContext(request: object, response: object, cleanUp: CleanUp): void {
  byResponse.set(response, cleanUp);
  if (SSE_ABORT_CONTROLLER === undefined) return;
  (request as Record<symbol, unknown>)[SSE_ABORT_CONTROLLER] = cleanUp;
  const raw = (request as { raw?: object }).raw;
  if (raw && typeof raw === 'object') (raw as Record<symbol, unknown>)[SSE_ABORT_CONTROLLER] = cleanUp;
}

export function findCleanUp(response: object | undefined): CleanUp | undefined {
  return response ? byResponse.get(response) : undefined;
}
