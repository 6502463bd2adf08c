/**
 * Links one request to its stream's state, so that param decorators (`CleanUp`) and the wrapped
 * handler find what the interceptor set up. Keyed by the response object Nest hands out
 * (Express `res` or Fastify `reply`), weakly, so nothing outlives the request.
 */
import type { CleanUp } from './clean-up.js';

export interface StreamContext {
  readonly cleanUp: CleanUp;
  /** Told what the handler itself returned (before interceptors flatten Observables). */
  onHandlerResult(result: unknown): void;
}

const contexts = new WeakMap<object, StreamContext>();

export function bindStreamContext(key: object, context: StreamContext): void {
  contexts.set(key, context);
}

export function findStreamContext(key: object | undefined): StreamContext | undefined {
  return key ? contexts.get(key) : undefined;
}
