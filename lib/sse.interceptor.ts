/**
 * The glue: admit the request, open the connection, make the stream, give it the handler's
 * source (whatever Nest's chain carries), and tell Nest when the stream ended. Everything else
 * happens in source/, stream/ and connection/.
 */
import { Inject, Injectable, Logger, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, Reflector } from '@nestjs/core';
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { CleanUp, type SseEndReason } from './cleanup/clean-up.js';
import { bindStreamContext } from './cleanup/stream-context.js';
import { createConnection, createPlatformResponse } from './connection/create-connection.js';
import type { PlatformResponse } from './connection/platform-response.js';
import { ChainSource } from './source/chain-source.js';
import { resolveStreamOptions, type ResolvedStreamOptions, type SseModuleOptions, type SseRouteOptions } from './sse-module-options.js';
import { SSE_MODULE_OPTIONS, SSE_READS_SIGNAL, SSE_ROUTE_OPTIONS } from './sse.constants.js';
import { SseStreamRegistry } from './stream/sse-stream-registry.js';
import { SseStream, type SseStreamOwner } from './stream/sse-stream.js';

const logger = new Logger('SseStream');
let fallbackRegistry: SseStreamRegistry | undefined;

interface RouteConfig {
  options: ResolvedStreamOptions;
  /** `@HttpCode()` given: its status stands; else a POST answers 200, not Nest's 201. */
  hasHttpCode: boolean;
  /**
   * No interceptor runs outside this one: once the head is out, Nest's request pipeline (its
   * interceptor chain, router promise and disconnect watch, about 11 KiB) is let go instead of
   * being held for the stream's life. With one outside, it stays, so that it sees the stream end.
   */
  releasesPipeline: boolean;
  /** The handler takes Nest's `@SseSignal()`. */
  readsSignal: boolean;
  controller: object;
  /** `Controller.method`. */
  name: string;
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
    @Optional() private readonly appConfig?: ApplicationConfig,
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
    const config = this.routeConfig(context.getHandler(), context.getClass());
    // Lazy (a defer): nothing runs until the stream starts it.
    const chain = next.handle();
    // Nothing is set up until Nest subscribes: an outer interceptor that answers from a cache
    // never subscribes, and must leave no stream behind.
    return new Observable<unknown>((outer) => this.stream(outer, request, response, config, chain));
  }

  /**
   * Opens one stream. Kept apart from `intercept()` so that what lives as long as the stream (the
   * callbacks below) holds neither Nest's `next` nor its execution context.
   */
  private stream(
    outer: Subscriber<unknown>,
    request: object,
    response: object,
    { options, hasHttpCode, releasesPipeline, readsSignal, name }: RouteConfig,
    chain: Observable<unknown>,
  ): TeardownLogic {
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
    const cleanUp = new CleanUp(logger);
    bindStreamContext(request, response, cleanUp, readsSignal);
    const answer = new NestAnswer(outer, this.registry, key, releasesPipeline);
    const stream = new SseStream({ connection, cleanUp, options, name, logger, owner: answer });
    this.registry.add(stream, key);
    stream.start(new ChainSource(chain));
    // While Nest waits: it unsubscribes when the client goes away (or an outer interceptor gives up).
    return () => {
      if (answer.waiting) stream.end(connection.clientGone ? 'client-gone' : 'complete');
    };
  }

  private routeConfig(handler: object, controller: object): RouteConfig {
    let config = this.routes.get(handler);
    // A handler inherited by several controllers: one config each time the controller changes.
    if (!config || config.controller !== controller) {
      const routeOptions = this.reflector.get<SseRouteOptions | undefined>(SSE_ROUTE_OPTIONS, handler as never);
      config = {
        options: resolveStreamOptions(this.options, routeOptions),
        hasHttpCode: Reflect.getMetadata(HTTP_CODE_METADATA, handler) !== undefined,
        releasesPipeline: !this.hasOuterInterceptors(handler, controller),
        readsSignal: Reflect.getMetadata(SSE_READS_SIGNAL, handler) === true,
        controller,
        name: `${(controller as { name?: string }).name ?? 'Controller'}.${(handler as { name?: string }).name ?? 'handler'}`,
      };
      this.routes.set(handler, config);
    }
    return config;
  }

  /** Global and controller interceptors, and the method's listed before this one, run outside it. */
  private hasOuterInterceptors(handler: object, controller: object): boolean {
    const config = this.appConfig;
    // Without the app's configuration, assume there are (the safe side: only memory is at stake).
    if (!config) return true;
    if (config.getGlobalInterceptors().length > 0 || config.getGlobalRequestInterceptors().length > 0) return true;
    const onClass: unknown[] = Reflect.getMetadata(INTERCEPTORS_METADATA, controller) ?? [];
    if (onClass.length > 0) return true;
    const onMethod: unknown[] = Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? [];
    const own = onMethod.findIndex((i) => i === SseInterceptor || i instanceof SseInterceptor);
    return own !== 0;
  }
}

/** Answers Nest's request pipeline for one stream: at the head (when nothing outside needs the end), or at the end. */
class NestAnswer implements SseStreamOwner {
  /** Nest's subscriber while Nest waits for the stream; undefined once it has been answered. */
  private subscriber: Subscriber<unknown> | undefined;

  constructor(
    subscriber: Subscriber<unknown>,
    private readonly registry: SseStreamRegistry,
    private readonly key: string | undefined,
    private readonly atHead: boolean,
  ) {
    this.subscriber = subscriber;
  }

  get waiting(): boolean {
    return this.subscriber !== undefined;
  }

  opened(): void {
    if (this.atHead) this.answer();
  }

  ended(stream: SseStream, _reason: SseEndReason, failure: { error: unknown } | undefined): void {
    this.registry.remove(stream, this.key);
    this.answer(failure);
  }

  private answer(failure?: { error: unknown }): void {
    const { subscriber } = this;
    if (!subscriber) return;
    this.subscriber = undefined;
    // Before the head, Nest's exception filters answer with the real status.
    if (failure) return subscriber.error(failure.error);
    // The response is ours (the route is marked handled): Nest sends nothing for this value.
    subscriber.next(undefined);
    subscriber.complete();
  }
}

/** Nest sets 201 on a POST before interceptors run; a stream answers 200 unless the route says otherwise. */
function answerOkToPost(platform: PlatformResponse): void {
  if (platform.request.method === 'POST' && platform.statusCode() === 201) platform.setStatusCode(200);
}
