/**
 * The glue: admit the request, open the connection, make the stream, give it the handler's
 * source (whatever Nest's chain carries), and tell Nest when the stream ended. Everything else
 * happens in source/, stream/ and connection/.
 */
import { Inject, Injectable, Logger, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { CleanUp } from './cleanup/clean-up.js';
import { bindStreamContext } from './cleanup/stream-context.js';
import { createConnection, createPlatformResponse } from './connection/create-connection.js';
import type { PlatformResponse } from './connection/platform-response.js';
import { ChainSource } from './source/chain-source.js';
import { resolveStreamOptions, type ResolvedStreamOptions, type SseModuleOptions, type SseRouteOptions } from './sse-module-options.js';
import { SSE_MODULE_OPTIONS, SSE_ROUTE_OPTIONS } from './sse.constants.js';
import { SseStreamRegistry } from './stream/sse-stream-registry.js';
import { SseStream } from './stream/sse-stream.js';

const logger = new Logger('SseStream');
let fallbackRegistry: SseStreamRegistry | undefined;

interface RouteConfig {
  options: ResolvedStreamOptions;
  /** `@HttpCode()` given: its status stands; else a POST answers 200, not Nest's 201. */
  hasHttpCode: boolean;
}

@Injectable()
export class SseInterceptor implements NestInterceptor {
  private readonly options: SseModuleOptions;
  private readonly registry: SseStreamRegistry;
  private readonly routes = new WeakMap<object, RouteConfig>();

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
    const request = http.getRequest<object>();
    const response = http.getResponse<object>();
    const { options, hasHttpCode } = this.routeConfig(context.getHandler());

    // Nothing is set up until Nest subscribes: an outer interceptor that answers from a cache
    // never subscribes, and must leave no stream behind.
    return new Observable<unknown>((outer) => {
      const platform = createPlatformResponse(request, response);
      if (this.registry.isClosing) {
        // A network error, never a final status: an EventSource keeps retrying and finds the next instance.
        createConnection(platform).destroy();
        outer.next(undefined);
        outer.complete();
        return undefined;
      }
      let key: string | undefined;
      try {
        key = this.registry.admit(request, platform, options);
      } catch (err) {
        outer.error(err);
        return undefined;
      }
      if (!hasHttpCode) answerOkToPost(platform);
      const connection = createConnection(platform);
      const route = `${context.getClass().name}.${context.getHandler().name} (${connection.label})`;
      const cleanUp = new CleanUp(logger);
      bindStreamContext(request, response, cleanUp);
      const stream: SseStream = new SseStream({
        connection,
        cleanUp,
        options,
        route,
        logger,
        onEnd: (_reason, failure) => {
          this.registry.remove(stream, key);
          // Before the head, Nest's exception filters answer with the real status.
          if (failure) return outer.error(failure.error);
          // The response is ours (the route is marked handled): Nest sends nothing for this value.
          outer.next(undefined);
          outer.complete();
        },
      });
      this.registry.add(stream, key);
      stream.start(new ChainSource(next.handle(), route));
      // Nest unsubscribes when the client goes away (or an outer interceptor gives up).
      return () => stream.end(connection.clientGone ? 'client-gone' : 'complete');
    });
  }

  private routeConfig(handler: object): RouteConfig {
    let config = this.routes.get(handler);
    if (!config) {
      const routeOptions = this.reflector.get<SseRouteOptions | undefined>(SSE_ROUTE_OPTIONS, handler as never);
      config = {
        options: resolveStreamOptions(this.options, routeOptions),
        hasHttpCode: Reflect.getMetadata(HTTP_CODE_METADATA, handler) !== undefined,
      };
      this.routes.set(handler, config);
    }
    return config;
  }
}

/** Nest sets 201 on a POST before interceptors run; a stream answers 200 unless the route says otherwise. */
function answerOkToPost(platform: PlatformResponse): void {
  if (platform.request.method === 'POST' && platform.statusCode() === 201) platform.setStatusCode(200);
}
