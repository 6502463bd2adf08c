/**
 * `@Sse()`: registers the route and applies the interceptor. It wraps the handler so that Nest's
 * chain carries its result as one boxed value (see source/handler-result.ts), and adds what Nest
 * fills in: the stream's `CleanUp` where a parameter is typed `CleanUp`, and a hidden `@Res()`
 * past the declared ones, which marks the response as handled so Nest never writes to it.
 */
import { RequestMapping, RequestMethod, Res, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { CleanUp } from './cleanup/clean-up.js';
import { InjectCleanUp, UntypedParameter } from './cleanup/inject-clean-up.decorator.js';
import { UndeclaredEventWarning } from './events/undeclared-event-warning.js';
import { findCleanUp, readsSseSignal } from './cleanup/stream-context.js';
import { SseOptionsError } from './errors.js';
import { SseHandlerResult } from './source/handler-result.js';
import { toSseSource } from './source/to-sse-source.js';
import { validateStreamOptions, type SseRouteOptions } from './sse-module-options.js';
import { SSE_READS_SIGNAL, SSE_ROUTE_OPTIONS } from './sse.constants.js';
import { SseInterceptor } from './sse.interceptor.js';
import { isPromise } from './source/is-promise.js';

type Handler = (...args: unknown[]) => unknown;

function toRequestMethod(method: SseRouteOptions['method'], where: string): RequestMethod {
  if (method === undefined) return RequestMethod.GET;
  if (typeof method === 'number' && RequestMethod[method] !== undefined) return method;
  if (typeof method === 'string' && method.toUpperCase() in RequestMethod) {
    return RequestMethod[method.toUpperCase() as keyof typeof RequestMethod];
  }
  throw new SseOptionsError(`${where}: option "method" is ${JSON.stringify(method)}; use 'GET', 'POST', ... or RequestMethod.`);
}

/**
 * Boxes a settled result for its stream (`check` adds the development check of `@SseEvents()`);
 * one that comes after its client left is released, never started. Called without a stream (a
 * unit test, another handler calling this one), the result is returned as it is.
 */
function toHandlerResult(value: unknown, response: object | undefined, check: (value: unknown) => unknown): unknown {
  const cleanUp = findCleanUp(response);
  if (!cleanUp) return value;
  if (cleanUp.ended) {
    try {
      toSseSource(value)?.discard();
    } catch {
      // A result that cannot even be looked at: nothing of it was started.
    }
    return new SseHandlerResult(null);
  }
  return new SseHandlerResult(check(value));
}

function wrapHandler(original: Handler, responseIndex: number, route: string): Handler {
  // @SseEvents() may sit above @Sse() (it then decorates `wrapped`): its metadata is read on first call.
  const undeclared = new UndeclaredEventWarning(route);
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const response = args[responseIndex] as object | undefined;
    const result = original.apply(this, args.slice(0, responseIndex));
    const box = (value: unknown): unknown => toHandlerResult(value, response, (settled) => undeclared.wrap(settled, wrapped));
    return isPromise(result) ? Promise.resolve(result).then(box) : box(result);
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  // Metadata that decorators below @Sse() put on the handler (guards, @Header, @HttpCode...).
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapped);
  }
  return wrapped;
}

/** Injects CleanUp into parameters typed `CleanUp`; without type metadata, explains the fix on use. */
function injectCleanUp(target: object, key: string | symbol, where: string, declaredCount: number, usedIndexes: Set<number>): number {
  const paramtypes: unknown[] | undefined = Reflect.getMetadata('design:paramtypes', target, key);
  if (paramtypes) {
    paramtypes.forEach((type, index) => {
      if (type === CleanUp && !usedIndexes.has(index)) InjectCleanUp()(target, key, index);
    });
    return paramtypes.length;
  }
  for (let index = 0; index < declaredCount; index++) {
    if (usedIndexes.has(index)) continue;
    UntypedParameter(
      `${where}: parameter ${index + 1} has no decorator, and without "emitDecoratorMetadata" in tsconfig.json its type ` +
        "cannot be read, so nothing is injected into it. For the stream's CleanUp write `@InjectCleanUp() cleanUp: CleanUp` " +
        '(or enable emitDecoratorMetadata).',
    )(target, key, index);
  }
  return declaredCount;
}

/**
 * Marks a method as a Server-Sent Events route. The handler returns an async generator, an
 * Observable, an `AsyncIterable` (Node `Readable`, web `ReadableStream`), an array/`Iterable`, a
 * Promise of one of these, or `null` for 204 No Content. Each value becomes one event (see the
 * README for the value-to-frame rules). A drop-in for `@nestjs/common`'s `Sse`.
 *
 * @param path Route path, as for `@Get()`.
 * @param options Method (GET by default) and per-route overrides of the module options.
 * @example
 * @Sse('progress/:id')
 * async *progress(@Param('id') id: string, cleanUp: CleanUp) {
 *   for await (const step of this.jobs.watch(id, cleanUp.signal)) yield { data: step, id: String(step.n) };
 * }
 */
export function Sse(path?: string | string[], options: SseRouteOptions = {}): MethodDecorator {
  const where = `@Sse(${path === undefined ? '' : JSON.stringify(path)})`;
  validateStreamOptions(where, options);
  const method = toRequestMethod(options.method, where);
  return (target, key, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw new SseOptionsError(`${where} must decorate a method.`);
    }
    const owner = (target as { constructor: object }).constructor;
    const routeArgs: Record<string, { index: number; factory?: unknown }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, owner, key) ?? {};
    const usedIndexes = new Set(Object.values(routeArgs).map((arg) => arg.index));
    const declared = Math.max((original as Handler).length, ...[...usedIndexes].map((i) => i + 1));
    const named = `${where} on ${(owner as { name?: string }).name ?? 'controller'}.${String(key)}`;
    const responseIndex = Math.max(injectCleanUp(target, key, named, declared, usedIndexes), declared);
    // The hidden @Res() also resets a passthrough @Res() of the handler's: Nest must not reply, the stream does.
    Res()(target, key, responseIndex);

    descriptor.value = wrapHandler(
      original as Handler,
      responseIndex,
      `${(owner as { name?: string }).name ?? 'controller'}.${String(key)}`,
    ) as never;
    RequestMapping({ path, method })(target, key, descriptor);
    SetMetadata(SSE_ROUTE_OPTIONS, options)(target, key, descriptor);
    SetMetadata(SSE_READS_SIGNAL, readsSseSignal(routeArgs))(target, key, descriptor);
    UseInterceptors(SseInterceptor)(target, key, descriptor);
    return descriptor;
  };
}
