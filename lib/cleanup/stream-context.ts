/**
 * Hands one stream's CleanUp from the interceptor, which makes it, to what reads it later in the
 * same request: `@InjectCleanUp()`, Nest's `@SseSignal()` and the handler wrapper of `@Sse()`.
 * Data flows one way: the interceptor writes it, the others read it.
 */
import * as nestCommon from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import type { CleanUp } from './clean-up.js';

/** Nest 12.5's carrier of the SSE AbortController on the request (absent in older 12.x). */
const SSE_ABORT_CONTROLLER = (nestCommon as { SSE_ABORT_CONTROLLER?: symbol }).SSE_ABORT_CONTROLLER;

/** The factory behind Nest's `@SseSignal()`, read from the metadata it leaves on a probe method. */
const sseSignalFactory: unknown = (() => {
  const SseSignal = (nestCommon as { SseSignal?: () => ParameterDecorator }).SseSignal;
  if (!SseSignal) return undefined;
  class Probe {
    method(_signal: unknown): void {}
  }
  SseSignal()(Probe.prototype, 'method', 0);
  const args: Record<string, { factory?: unknown }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'method') ?? {};
  return Object.values(args)[0]?.factory;
})();

/** True when a handler's parameters (their route-args metadata) include Nest's `@SseSignal()`. */
export function readsSseSignal(routeArgs: Record<string, { factory?: unknown }>): boolean {
  return sseSignalFactory !== undefined && Object.values(routeArgs).some((arg) => arg.factory === sseSignalFactory);
}

const byResponse = new WeakMap<object, CleanUp>();

/**
 * Keyed by the response object Nest hands out (Express `res`, Fastify `reply`), weakly, so nothing
 * outlives the request. `@SseSignal()` reads `request[SSE_ABORT_CONTROLLER].signal`: for a handler
 * that takes it (`withSignal`), the CleanUp is put there (it has that `signal`, aborted when the
 * stream ends, as Nest's own is). Only then: a property added to every request costs its
 * properties' storage, about 450 bytes per open stream.
 */
export function bindStreamContext(request: object, response: object, cleanUp: CleanUp, withSignal: boolean): void {
  byResponse.set(response, cleanUp);
  if (!withSignal || SSE_ABORT_CONTROLLER === undefined) return;
  (request as Record<symbol, unknown>)[SSE_ABORT_CONTROLLER] = cleanUp;
  const raw = (request as { raw?: object }).raw;
  if (raw && typeof raw === 'object') (raw as Record<symbol, unknown>)[SSE_ABORT_CONTROLLER] = cleanUp;
}

export function findCleanUp(response: object | undefined): CleanUp | undefined {
  return response ? byResponse.get(response) : undefined;
}
