/**
 * Schemas of the events of one route, in the form of the document's OpenAPI version. Each event
 * is modelled as OpenAPI 3.2 says Server-Sent Events are: an object with the fields of the
 * frame (`event`, `data`, `id`), `data` being the text of the `data:` lines (JSON payloads: a
 * string whose `contentSchema` is the payload's schema).
 */
import { getSchemaPath } from '@nestjs/swagger';
import type { SseEventsDeclaration, SsePayloadDeclaration } from '../events/sse-event-map.js';
import { SSE_GAP_EVENT } from '../hub/hub-subscription.js';
import { SSE_JOIN_EVENT, SSE_LEAVE_EVENT } from '../hub/sse-hub.js';
import { SSE_ERROR_EVENT } from '../sse.constants.js';
import type { OpenApiDialect } from './openapi-dialect.js';

export type Schema = Record<string, unknown>;

/** Names of the library's shared schemas in `components.schemas`. */
export const ERROR_DATA_SCHEMA = 'SseErrorData';
export const GAP_NOTICE_SCHEMA = 'SseGapNotice';

/** The shared schemas the library's own events refer to. */
export const LIBRARY_SCHEMAS: Record<string, Schema> = {
  [ERROR_DATA_SCHEMA]: {
    type: 'object',
    description: 'Data of the `error` event: the stream failed after it started (an HttpException keeps its status and message).',
    properties: { status: { type: 'integer', example: 500 }, message: { type: 'string', example: 'Internal server error' } },
    required: ['status', 'message'],
  },
  [GAP_NOTICE_SCHEMA]: {
    type: 'object',
    description:
      'Data of the `sse-gap` event: the hub no longer holds every event after the Last-Event-ID the client sent; refetch your state.',
    properties: { lastEventId: { type: 'string' }, channels: { type: 'array', items: { type: 'string' } } },
    required: ['lastEventId', 'channels'],
  },
};

/** One event as documented: the item schema and a line for the human-readable table. */
export interface EventDoc {
  readonly name: string;
  readonly schema: Schema;
  /** The payload as a reader sees it: `JobProgressDto (JSON)`, `text`. */
  readonly payload: string;
  readonly hasId: boolean;
  readonly note?: string;
}

interface Payload {
  schema: Schema;
  /** The data is JSON text (else plain text, sent as it is). */
  json: boolean;
  label: string;
}

function isClass(value: unknown): value is abstract new (...args: never[]) => unknown {
  return typeof value === 'function';
}

function payloadOf(declaration: SsePayloadDeclaration): Payload {
  if (declaration === String) return { schema: { type: 'string' }, json: false, label: 'text' };
  if (declaration === Number) return { schema: { type: 'number' }, json: true, label: 'number' };
  if (declaration === Boolean) return { schema: { type: 'boolean' }, json: true, label: 'boolean' };
  const item: unknown = Array.isArray(declaration) ? declaration[0] : undefined;
  if (item === String || item === Number || item === Boolean) {
    const type = item === String ? 'string' : item === Number ? 'number' : 'boolean';
    return { schema: { type: 'array', items: { type } }, json: true, label: `${type}[] (JSON)` };
  }
  if (Array.isArray(declaration) && isClass(declaration[0])) {
    return {
      schema: { type: 'array', items: { $ref: getSchemaPath(declaration[0]) } },
      json: true,
      label: `${declaration[0].name}[] (JSON)`,
    };
  }
  if (isClass(declaration)) return { schema: { $ref: getSchemaPath(declaration) }, json: true, label: `${declaration.name} (JSON)` };
  const schema = structuredClone(declaration as Schema);
  return { schema, json: true, label: typeof schema.title === 'string' ? `${schema.title} (JSON)` : 'JSON' };
}

/** The `data` property: the text of the data lines, and what it holds. */
function dataSchema(payload: Payload, dialect: OpenApiDialect): Schema {
  if (!payload.json) return payload.schema;
  if (dialect === '3.0') {
    // 3.0 has no contentSchema: the payload's schema, with a word that the wire carries its JSON.
    return { description: 'JSON text of this schema, in the data lines', allOf: [payload.schema] };
  }
  return { type: 'string', contentMediaType: 'application/json', contentSchema: payload.schema };
}

function nameSchema(name: string, dialect: OpenApiDialect): Schema {
  return dialect === '3.0' ? { type: 'string', enum: [name] } : { type: 'string', const: name };
}

/** One event's item schema. A `message` may come without an `event:` line (that is what its name means). */
export function eventSchema(name: string, payload: Payload, hasId: boolean, dialect: OpenApiDialect, description?: string): Schema {
  const properties: Schema = { event: nameSchema(name, dialect), data: dataSchema(payload, dialect) };
  if (hasId) properties.id = { type: 'string', description: 'Sent back as Last-Event-ID on reconnect.' };
  const required = [...(name === 'message' ? [] : ['event']), 'data', ...(hasId ? ['id'] : [])];
  return { type: 'object', title: name, ...(description && { description }), properties, required };
}

const PRESENCE_EVENTS: readonly string[] = [SSE_JOIN_EVENT, SSE_LEAVE_EVENT];

/**
 * The declared events of a route. Through the hub, `join` and `leave` are presence news: never
 * stored, so never with an id.
 */
export function declaredEventDocs(events: SseEventsDeclaration, ids: boolean, viaHub: boolean, dialect: OpenApiDialect): EventDoc[] {
  return Object.entries(events).map(([name, declaration]) => {
    const payload = payloadOf(declaration);
    const presence = viaHub && PRESENCE_EVENTS.includes(name);
    const hasId = ids && !presence;
    const note = presence ? 'presence: announced live, not stored, no id' : undefined;
    return { name, schema: eventSchema(name, payload, hasId, dialect, note), payload: payload.label, hasId, note };
  });
}

/** A route without `@SseEvents()`: any event, as the spec's generic schema for `text/event-stream`. */
export function undeclaredEventDoc(): EventDoc {
  const schema: Schema = {
    type: 'object',
    title: 'event',
    description: 'Any event: this route does not declare its events (@SseEvents()).',
    properties: {
      event: { type: 'string' },
      data: { type: 'string' },
      id: { type: 'string' },
      retry: { type: 'integer', minimum: 0 },
    },
    required: ['data'],
  };
  return { name: '*', schema, payload: 'text', hasId: false, note: 'undeclared: any event name' };
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** The final `error` frame every stream may end with. */
export function errorEventDoc(dialect: OpenApiDialect): EventDoc {
  const note = 'the stream failed after it started; it ends after this event';
  const payload: Payload = { schema: ref(ERROR_DATA_SCHEMA), json: true, label: `${ERROR_DATA_SCHEMA} (JSON)` };
  return {
    name: SSE_ERROR_EVENT,
    schema: eventSchema(SSE_ERROR_EVENT, payload, false, dialect, note),
    payload: payload.label,
    hasId: false,
    note,
  };
}

/** The hub's gap notice, sent first to a resuming client when events after its id are gone. */
export function gapEventDoc(dialect: OpenApiDialect): EventDoc {
  const note = 'sent first on resume when events after Last-Event-ID are no longer held: refetch your state';
  const payload: Payload = { schema: ref(GAP_NOTICE_SCHEMA), json: true, label: `${GAP_NOTICE_SCHEMA} (JSON)` };
  return {
    name: SSE_GAP_EVENT,
    schema: eventSchema(SSE_GAP_EVENT, payload, false, dialect, note),
    payload: payload.label,
    hasId: false,
    note,
  };
}

/** Heartbeats configured as named events (`heartbeatEvent`): empty data. */
export function heartbeatEventDoc(name: string, dialect: OpenApiDialect): EventDoc {
  const note = 'heartbeat after a silence; no payload';
  const payload: Payload = { schema: { type: 'string', maxLength: 0 }, json: false, label: 'empty' };
  return { name, schema: eventSchema(name, payload, false, dialect, note), payload: payload.label, hasId: false, note };
}
