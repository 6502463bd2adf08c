/**
 * Swagger UI at `/docs` (the document at `/docs/json`): every route of the sample, its SSE routes
 * as event streams with their declared events (`nest-event-stream/openapi`), in OpenAPI 3.2.
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { createSseDocument } from '../../lib/openapi/index.js';
import { TOKEN_COOKIE } from '../auth/demo-users.js';

export const DOCS_PATH = 'docs';

/** The sample's OpenAPI document, as `/docs/json` serves it. */
export function sampleOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('nest-event-stream sample')
    .setDescription(
      'Jobs, notifications, a chat room, metrics and a long answer, streamed with Server-Sent Events. ' +
        'Sign in with `POST /session` `{"user":"alice"}` (a cookie), or pass `?token=demo-token-alice`.',
    )
    .setVersion('1.0')
    .setOpenAPIVersion('3.2.0')
    .addCookieAuth(TOKEN_COOKIE)
    .addApiKey({ type: 'apiKey', in: 'query', name: 'token' }, 'token')
    .build();
  return createSseDocument(app, config);
}

/** Serves Swagger UI; call before `listen()` (Fastify registers routes at start-up). */
export function setupSampleDocs(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => sampleOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}/json`,
    customSiteTitle: 'nest-event-stream sample · API',
  });
}
