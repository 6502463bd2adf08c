/**
 * Turns the operation `@nestjs/swagger` generated for an `@Sse()` route (request side as usual:
 * params, query, body, security, tags) into a documented event stream: the `text/event-stream`
 * answer with its events, 204, and the `Last-Event-ID` header for a route that resumes.
 */
import { MAX_LAST_EVENT_ID_LENGTH } from '../last-event-id.decorator.js';
import type { OpenApiDialect } from './openapi-dialect.js';
import {
  declaredEventDocs,
  errorEventDoc,
  gapEventDoc,
  heartbeatEventDoc,
  undeclaredEventDoc,
  type EventDoc,
  type Schema,
} from './sse-event-schemas.js';
import type { SseRouteDoc } from './sse-routes.js';

interface Operation {
  operationId?: string;
  parameters?: Schema[];
  responses?: Record<string, Schema>;
  [field: string]: unknown;
}

/** How a route's stream is documented. */
interface StreamDoc {
  events: EventDoc[];
  resumable: boolean;
  noContent: boolean;
  description: string | undefined;
  componentName: string;
}

function streamDoc(route: SseRouteDoc, dialect: OpenApiDialect): StreamDoc {
  const options = route.events?.options ?? {};
  const resumable = options.resumable ?? route.readsLastEventId;
  const hasId = options.ids ?? resumable !== false;
  const declared = route.events ? declaredEventDocs(route.events.events, hasId, resumable === 'hub', dialect) : [undeclaredEventDoc()];
  const names = new Set(declared.map((event) => event.name));
  const library = [
    errorEventDoc(dialect),
    ...(resumable === 'hub' ? [gapEventDoc(dialect)] : []),
    ...(route.heartbeatEvent !== undefined ? [heartbeatEventDoc(route.heartbeatEvent, dialect)] : []),
  ].filter((event) => !names.has(event.name)); // a route's own declaration of one of them wins
  return {
    events: [...declared, ...library],
    resumable: resumable !== false,
    noContent: options.noContent ?? true,
    description: options.description,
    componentName: options.name ?? `${route.controller}_${route.method}_Event`,
  };
}

function table(events: readonly EventDoc[]): string {
  const rows = events.map(
    (event) => `| \`${event.name === '*' ? 'any' : event.name}\` | ${event.payload} | ${event.hasId ? 'yes' : '—'} | ${event.note ?? ''} |`,
  );
  return ['| event | data | id | note |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function description(doc: StreamDoc, existing: unknown, dialect: OpenApiDialect): string {
  const form =
    dialect === '3.2'
      ? '`itemSchema` describes each event'
      : '`schema` describes each event (OpenAPI 3.2 would say `itemSchema`; before it, this is the convention)';
  return [
    typeof existing === 'string' && existing !== '' ? existing : undefined,
    doc.description,
    `A stream of Server-Sent Events (\`text/event-stream\`); ${form}:`,
    table(doc.events),
    doc.resumable
      ? 'A client that reconnects sends `Last-Event-ID` (an EventSource does it for you): the stream carries on after that event.'
      : undefined,
  ]
    .filter((part) => part !== undefined)
    .join('\n\n');
}

/** The `text/event-stream` media type object, in the form of the document's version. */
function mediaType(ref: Schema, dialect: OpenApiDialect): Schema {
  if (dialect === '3.2') {
    // `schema` as the whole stream (an array of events, as 3.2's media type registry models it)
    // for tools that do not read `itemSchema` yet, Swagger UI among them.
    return { itemSchema: ref, schema: { type: 'array', items: ref } };
  }
  return { schema: ref };
}

const LAST_EVENT_ID_PARAMETER: Schema = {
  name: 'Last-Event-ID',
  in: 'header',
  required: false,
  description:
    'The id of the last event received (an EventSource sends it when it reconnects): the stream resumes after it. ' +
    'Polyfills that cannot send headers may use the `lastEventId` query parameter instead.',
  schema: { type: 'string', maxLength: MAX_LAST_EVENT_ID_LENGTH },
};

/** Rewrites `operation` in place; returns the component schemas it refers to. */
export function documentSseOperation(operation: Operation, route: SseRouteDoc, dialect: OpenApiDialect): Record<string, Schema> {
  const doc = streamDoc(route, dialect);
  const responses = (operation.responses ??= {});
  const status = String(route.status);
  // Nest's POST default (201) is not what a stream answers (200 unless @HttpCode() says otherwise).
  const created = responses['201'];
  if (status !== '201' && created && created.content === undefined && created.description === '') delete responses['201'];
  const ref = { $ref: `#/components/schemas/${doc.componentName}` };
  responses[status] = {
    ...responses[status],
    description: description(doc, responses[status]?.description, dialect),
    content: { 'text/event-stream': mediaType(ref, dialect) },
  };
  if (doc.noContent && !responses['204']) {
    responses['204'] = { description: 'No Content: nothing (more) to send. An EventSource stops reconnecting.' };
  }
  if (doc.resumable) {
    const parameters = (operation.parameters ??= []);
    const present = parameters.some((p) => p.in === 'header' && String(p.name).toLowerCase() === 'last-event-id');
    // A copy per document: a caller that edits one document must not change the next.
    if (!present) parameters.push(structuredClone(LAST_EVENT_ID_PARAMETER));
  }
  return {
    [doc.componentName]: {
      title: doc.componentName,
      description: `One event of ${route.controller}.${route.method}.`,
      // Declared events are told apart by their constant names; a route without a declaration has
      // the spec's generic event, which every other event (`error`, a heartbeat) matches too.
      [route.events ? 'oneOf' : 'anyOf']: doc.events.map((event) => event.schema),
    },
  };
}
