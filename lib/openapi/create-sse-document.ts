/**
 * `createSseDocument()`: `SwaggerModule.createDocument()` with the app's `@Sse()` routes
 * documented as event streams. Swagger's own scanner documents each route's request side (it
 * sees `@Sse()` as any route); each SSE handler is marked with a temporary `x-` extension for the
 * scan, so its operation is found whatever its path, version or operationId, then rewritten.
 */
import type { INestApplication } from '@nestjs/common';
import { DECORATORS, SwaggerModule, type OpenAPIObject, type SwaggerDocumentOptions } from '@nestjs/swagger';
import type { SsePayloadDeclaration } from '../events/sse-event-map.js';
import { openApiDialect } from './openapi-dialect.js';
import { LIBRARY_SCHEMAS, type Schema } from './sse-event-schemas.js';
import { documentSseOperation } from './sse-operation.js';
import { findSseRoutes, type SseRouteDoc } from './sse-routes.js';

/** The extension that marks an SSE operation during the scan; removed from the result. */
const ROUTE_MARK = 'x-nest-event-stream-route';

type ModelClass = NonNullable<SwaggerDocumentOptions['extraModels']>[number];

/** The DTO classes a route's events refer to: the scanner must see them to put them in `components.schemas`. */
function modelsOf(route: SseRouteDoc): ModelClass[] {
  const payloads: SsePayloadDeclaration[] = Object.values(route.events?.events ?? {});
  return payloads
    .map((payload) => (Array.isArray(payload) ? payload[0] : payload))
    .filter((payload): payload is ModelClass => typeof payload === 'function' && ![String, Number, Boolean].includes(payload as never));
}

/** Runs `scan` with every SSE handler marked, and takes the marks back whatever happens. */
function withMarks<T>(routes: readonly SseRouteDoc[], scan: () => T): T {
  const key = DECORATORS.API_EXTENSION;
  const restore = routes.map((route, index) => {
    const own: unknown = Reflect.getOwnMetadata(key, route.handler);
    const inherited = (Reflect.getMetadata(key, route.handler) as Record<string, unknown> | undefined) ?? {};
    Reflect.defineMetadata(key, { ...inherited, [ROUTE_MARK]: index }, route.handler);
    return () => (own === undefined ? Reflect.deleteMetadata(key, route.handler) : Reflect.defineMetadata(key, own, route.handler));
  });
  try {
    return scan();
  } finally {
    for (const undo of restore) undo();
  }
}

type Operations = Record<string, Record<string, { [ROUTE_MARK]?: number } & Record<string, unknown>>>;

/**
 * Builds the OpenAPI document of `app` like `SwaggerModule.createDocument(app, config, options)`
 * (same arguments, same result), with every `@Sse()` route documented as a stream: its
 * `text/event-stream` answer lists the events `@SseEvents()` declares (the DTOs' schemas from
 * `@nestjs/swagger`), the `error` event every stream may end with, the hub's `sse-gap` notice
 * for `resumable: 'hub'`, the `Last-Event-ID` header of a route that resumes, and 204. The form
 * follows the document's version (`DocumentBuilder#setOpenAPIVersion()`): OpenAPI 3.2's
 * `itemSchema` for 3.2.x; for 3.0.x and 3.1.x, `schema` describes one event.
 *
 * @example
 * const config = new DocumentBuilder().setTitle('Jobs').setOpenAPIVersion('3.2.0').build();
 * SwaggerModule.setup('docs', app, () => createSseDocument(app, config));
 */
export function createSseDocument(
  app: INestApplication,
  config: Omit<OpenAPIObject, 'paths'>,
  options: SwaggerDocumentOptions = {},
): OpenAPIObject {
  const dialect = openApiDialect(config.openapi ?? '3.0.0');
  const routes = findSseRoutes(app);
  const extraModels = [...(options.extraModels ?? []), ...routes.flatMap(modelsOf)];
  const document = withMarks(routes, () => SwaggerModule.createDocument(app, config, { ...options, extraModels }));

  const schemas: Record<string, Schema> = {};
  for (const pathItem of Object.values(document.paths as unknown as Operations)) {
    for (const operation of Object.values(pathItem)) {
      const index = operation?.[ROUTE_MARK];
      if (typeof index !== 'number') continue;
      delete operation[ROUTE_MARK];
      Object.assign(schemas, documentSseOperation(operation, routes[index], dialect));
    }
  }
  if (Object.keys(schemas).length > 0) {
    const components = (document.components ??= {});
    components.schemas = { ...structuredClone(LIBRARY_SCHEMAS), ...components.schemas, ...schemas } as typeof components.schemas;
  }
  return document;
}
