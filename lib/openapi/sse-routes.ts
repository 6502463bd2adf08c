/** Finds the app's `@Sse()` routes and what their documentation needs: the declaration, resume, status. */
import type { INestApplication, Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { getSseEvents, type SseEventsMetadata } from '../events/sse-events.decorator.js';
import { lastEventIdFactory } from '../last-event-id.decorator.js';
import type { SseModuleOptions, SseRouteOptions } from '../sse-module-options.js';
import { SSE_MODULE_OPTIONS, SSE_ROUTE_OPTIONS } from '../sse.constants.js';

/** One `@Sse()` handler, as the document needs it. */
export interface SseRouteDoc {
  /** The handler function (what swagger's scanner reads metadata from). */
  readonly handler: object;
  readonly controller: string;
  readonly method: string;
  /** `@SseEvents()`, when the route declares its events. */
  readonly events: SseEventsMetadata | undefined;
  /** It takes `@LastEventId()`. */
  readonly readsLastEventId: boolean;
  /** The status of the stream: `@HttpCode()`, else 200 (also for POST). */
  readonly status: number;
  /** The event name heartbeats are sent as, if not comments. */
  readonly heartbeatEvent: string | undefined;
}

function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}

function readsLastEventId(controller: Type<unknown>, method: string): boolean {
  const args: Record<string, { factory?: unknown }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {};
  return Object.values(args).some((arg) => arg.factory === lastEventIdFactory);
}

function moduleOptions(app: INestApplication): SseModuleOptions {
  try {
    return app.get<SseModuleOptions>(SSE_MODULE_OPTIONS, { strict: false }) ?? {};
  } catch {
    return {}; // SseModule not imported: its defaults (heartbeats are comments).
  }
}

/** Every `@Sse()` handler of the app's controllers, once each. */
export function findSseRoutes(app: INestApplication): SseRouteDoc[] {
  const defaults = moduleOptions(app);
  const routes = new Map<object, SseRouteDoc>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (!controller?.prototype) continue;
      for (const method of methodNames(controller.prototype)) {
        const handler: unknown = findDescriptor(controller.prototype, method)?.value;
        if (typeof handler !== 'function' || routes.has(handler)) continue;
        const routeOptions = Reflect.getMetadata(SSE_ROUTE_OPTIONS, handler) as SseRouteOptions | undefined;
        if (!routeOptions) continue;
        routes.set(handler, {
          handler,
          controller: controller.name,
          method,
          events: getSseEvents(handler),
          readsLastEventId: readsLastEventId(controller, method),
          status: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? 200,
          heartbeatEvent:
            (routeOptions.heartbeat ?? defaults.heartbeat) === false ? undefined : (routeOptions.heartbeatEvent ?? defaults.heartbeatEvent),
        });
      }
    }
  }
  return [...routes.values()];
}

function findDescriptor(prototype: object, name: string): PropertyDescriptor | undefined {
  for (let proto: object | null = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor) return descriptor;
  }
  return undefined;
}
