/** Which OpenAPI version a document is written in decides how a stream of events can be described. */
import { SseOptionsError } from '../errors.js';

/**
 * - `3.2`: `itemSchema` describes each event (OpenAPI 3.2's sequential media types); JSON Schema 2020-12.
 * - `3.1`: `schema` describes one event (the convention before 3.2); JSON Schema 2020-12 (`const`, `contentSchema`).
 * - `3.0`: `schema` describes one event; OpenAPI 3.0's schema subset (`enum`, no `contentSchema`).
 */
export type OpenApiDialect = '3.0' | '3.1' | '3.2';

export function openApiDialect(version: unknown): OpenApiDialect {
  const match = typeof version === 'string' ? /^3\.(\d+)\.\d+$/.exec(version) : null;
  if (!match) {
    throw new SseOptionsError(
      `createSseDocument(): the document's "openapi" is ${JSON.stringify(version)}; expected 3.0.x, 3.1.x or 3.2.x ` +
        "(DocumentBuilder's setOpenAPIVersion('3.2.0')).",
    );
  }
  const minor = Number(match[1]);
  return minor === 0 ? '3.0' : minor === 1 ? '3.1' : '3.2';
}
