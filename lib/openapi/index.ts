/**
 * nest-event-stream/openapi: the app's `@Sse()` routes in the `@nestjs/swagger` document, as
 * event streams (OpenAPI 3.2 `itemSchema`, or `schema` per event for 3.0/3.1). Needs
 * `@nestjs/swagger` (an optional peer dependency); the core package never imports it.
 */
export { createSseDocument } from './create-sse-document.js';
export { ERROR_DATA_SCHEMA, GAP_NOTICE_SCHEMA } from './sse-event-schemas.js';
export type { OpenApiDialect } from './openapi-dialect.js';
