/**
 * The glue: admit the request, obtain the handler's source, open the connection, pump, tear down.
 *
 * Nest flattens an Observable returned by a handler into the interceptor chain, so what the
 * handler itself returned is reported by the wrapper `@Sse()` puts around it (see
 * sse.decorator.ts): an Observable means "push" (every emission of the chain is a value to
 * write); anything else arrives as the chain's single value and is resolved here. A hub
 * subscription with no interceptor between ours and the handler is handed to the chain as one
 * such value too, and attached to the stream directly (see attachHub).
 */
import { Inject, Injectable, Logger, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { isObservable, Observable, type Subscription } from 'rxjs';
import { CleanUp } from './cleanup/clean-up.js';
import { bindStreamContext } from './cleanup/stream-context.js';
import { createPlatformResponse } from './connection/create-platform-response.js';
import { SseConnection } from './connection/sse-connection.js';
import { SseSourceError } from './errors.js';
import { HubSource } from './hub/hub-source.js';
import { resolveSource } from './source/resolve-source.js';
import { resolveStreamOptions, type SseModuleOptions, type SseRouteOptions } from './sse-module-options.js';
import { SSE_MODULE_OPTIONS, SSE_ROUTE_OPTIONS } from './sse.constants.js';
import { SseStreamRegistry } from './stream/sse-stream-registry.js';
import { SseStream } from './stream/sse-stream.js';

type Mode = 'unknown' | 'push' | 'value';

let fallbackRegistry: SseStreamRegistry | undefined;
const innermost = new WeakMap<object, boolean>();

/**
 * True when no interceptor sits between ours and the handler (ours is the last one declared on
 * the method): then nobody can observe or map the values, and a hub source may bypass the chain.
 */
function isInnermost(handler: object): boolean {
  let known = innermost.get(handler);
  if (known === undefined) {
    const list: unknown[] = Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? [];
    known = list[list.length - 1] === SseInterceptor;
    innermost.set(handler, known);
  }
  return known;
}
const logger = new Logger('SseStream');

@Injectable()
export class SseInterceptor implements NestInterceptor {
  private readonly options: SseModuleOptions;
  private readonly registry: SseStreamRegistry;

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(SSE_MODULE_OPTIONS) options?: SseModuleOptions,
    @Optional() registry?: SseStreamRegistry,
  ) {
    this.options = options ?? {};
    if (!registry) {
      if (!fallbackRegistry) {
        logger.warn(
          'SseModule is not imported: @Sse() routes use default options and app.close() cannot end open streams. ' +
            'Add SseModule.forRoot() to the imports of your root module.',
        );
        fallbackRegistry = new SseStreamRegistry({});
      }
      registry = fallbackRegistry;
    }
    this.registry = registry;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<{ method?: string; url?: string }>();
    const response = http.getResponse<object>();
    const handler = context.getHandler();
    const routeOptions = this.reflector.get<SseRouteOptions | undefined>(SSE_ROUTE_OPTIONS, handler);
    const options = resolveStreamOptions(this.options, routeOptions);
    const route = `${context.getClass().name}.${handler.name} (${request.method} ${request.url})`;

    // Nothing is set up until Nest subscribes: an outer interceptor that answers from a cache
    // never subscribes, and must leave no stream behind.
    return new Observable<unknown>((outer) => {
      const platform = createPlatformResponse(request, response);
      let key: string | undefined;
      try {
        key = this.registry.admit(request, platform, options);
      } catch (err) {
        outer.error(err);
        return undefined;
      }
      const connection = new SseConnection(platform);
      const cleanUp = new CleanUp(logger);
      // SSE answers 200 unless the route says otherwise (Nest would default a POST to 201).
      const statusCode: number = Reflect.getMetadata(HTTP_CODE_METADATA, handler) ?? 200;
      const stream = new SseStream({ connection, cleanUp, options, route, statusCode, logger });
      this.registry.add(stream, key);

      let mode: Mode = 'unknown';
      let settled = false;
      let preStreamError: { error: unknown } | undefined;
      stream.onEnd(() => {
        // Before the head went out, Nest's exception filters answer with the real status.
        if (preStreamError) return outer.error(preStreamError.error);
        // The response is ours (the route is marked handled), so Nest sends nothing for this value.
        outer.next(undefined);
        outer.complete();
      });
      bindStreamContext(response, {
        cleanUp,
        onHandlerResult: (result) => {
          if (!isObservable(result)) {
            mode = 'value';
            return result;
          }
          // A hub subscription writes its shared frames straight to the stream: no per-value trip
          // through rxjs and Nest's chain, which also completes at once instead of staying
          // subscribed for the stream's life (what makes a broadcast to N idle sockets cheap).
          if (result instanceof HubSource && isInnermost(handler)) {
            mode = 'value';
            return new DirectHubResult(result);
          }
          mode = 'push';
          // Open only once subscribing did not throw, so an Observable that errors on
          // subscribe still reaches the exception filters with its real status.
          return new Observable<unknown>((subscriber) => {
            const subscription = result.subscribe(subscriber);
            if (!subscriber.closed) stream.open();
            return subscription;
          });
        },
      });

      const failBeforeOpen = (err: unknown): void => {
        preStreamError = { error: err };
        stream.end('error');
      };

      const subscription: Subscription = next.handle().subscribe({
        next: (value) => {
          if (mode === 'push') {
            stream.push(value);
            return;
          }
          if (settled) return;
          settled = true;
          this.startFromResult(stream, value, route, failBeforeOpen);
        },
        error: (err: unknown) => {
          if (stream.isOpen) stream.fail(err);
          else if (!stream.isEnded) failBeforeOpen(err);
        },
        complete: () => {
          if (mode === 'push') {
            // An Observable that completes before emitting still opens (and ends) a stream.
            if (!stream.isEnded) stream.open();
            stream.end('complete');
          } else if (!settled && !stream.isEnded) {
            failBeforeOpen(new SseSourceError(route, undefined));
          }
        },
      });
      stream.setSourceTeardown(() => subscription.unsubscribe());

      // Nest unsubscribes when the client goes away; the stream ends on its own 'close' too.
      return () => {
        subscription.unsubscribe();
        stream.end(connection.clientGone ? 'client-gone' : 'complete');
      };
    });
  }

  private startFromResult(stream: SseStream, value: unknown, route: string, failBeforeOpen: (err: unknown) => void): void {
    if (value instanceof DirectHubResult) {
      if (!stream.isEnded) attachHub(stream, value.source, failBeforeOpen);
      return;
    }
    const source = resolveSource(value);
    if (!source) {
      failBeforeOpen(new SseSourceError(route, value));
      return;
    }
    if (stream.isEnded) {
      // The client left while the handler was setting up: release what it made, write nothing.
      if (source.kind === 'pull') void Promise.resolve(source.iterator.return?.()).catch(() => undefined);
      return;
    }
    switch (source.kind) {
      case 'none':
        stream.noContent();
        return;
      case 'pull':
        void stream.pull(source.iterator);
        return;
      case 'push': {
        if (!stream.open()) return;
        const subscription = source.observable.subscribe({
          next: (item) => stream.push(item),
          error: (err: unknown) => stream.fail(err),
          complete: () => stream.end('complete'),
        });
        stream.setSourceTeardown(() => subscription.unsubscribe());
      }
    }
  }
}

/** What the wrapped handler hands Nest instead of a hub subscription: one plain value, so Nest's chain completes at once. */
class DirectHubResult {
  constructor(readonly source: HubSource) {}
}

/** Feeds a hub subscription's frames straight into the stream. */
function attachHub(stream: SseStream, source: HubSource, failBeforeOpen: (err: unknown) => void): void {
  const detach = source.attach({
    get closed() {
      return stream.isEnded;
    },
    next: (frame) => stream.push(frame),
    error: (err: unknown) => {
      if (stream.isOpen) stream.fail(err);
      else if (!stream.isEnded) failBeforeOpen(err);
    },
    complete: () => {
      // A subscription that ends before anything was sent still opens (and ends) a stream.
      if (!stream.isEnded) stream.open();
      stream.end('complete');
    },
  });
  stream.setSourceTeardown(detach);
  // Open once attaching did not fail, so such an error still reaches the exception filters.
  if (!stream.isEnded) stream.open();
}
