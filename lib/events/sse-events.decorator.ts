/**
 * `@SseEvents()`: declares the events of an `@Sse()` route. It only stores metadata: `@Sse()`'s
 * wrapper reads it to warn about undeclared events in development, and `nest-event-stream/openapi`
 * reads it to document the route. Its type checks the handler's return type against the map.
 */
import { SseOptionsError } from '../errors.js';
import type { SseEventsDeclaration, SseEventsOf, SseResultOf } from './sse-event-map.js';

/** Metadata key of `@SseEvents()` on the handler. */
export const SSE_EVENTS_METADATA = 'nest-event-stream:events';

/** How a route's events behave, for its documentation. */
export interface SseEventsOptions {
  /**
   * The route reads `Last-Event-ID` and resumes after it: the header is documented. `'hub'`: it
   * resumes through `SseHub`, so the gap notice (`sse-gap`) is documented too. Default: `true`
   * when the handler takes `@LastEventId()`, else `false`.
   */
  resumable?: boolean | 'hub';
  /** Every declared event carries an `id:`. Default: the value of `resumable` (as a boolean). */
  ids?: boolean;
  /** The route may answer 204 No Content (returns `null`): documented. Default `true`. */
  noContent?: boolean;
  /** Name of the event schema in the OpenAPI components. Default: `<Controller>_<method>_Event`. */
  name?: string;
  /** Added to the documented response's description. */
  description?: string;
}

/** What `@SseEvents()` stores on the handler. */
export interface SseEventsMetadata {
  readonly events: SseEventsDeclaration;
  readonly options: SseEventsOptions;
}

/**
 * A decorator that accepts only a handler whose return type sends events of `M` (see
 * {@link SseResultOf}): a generator yielding an undeclared event or a wrong payload does not compile.
 */
export type SseEventsDecorator<M> = <H extends (...args: never[]) => SseResultOf<M>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<H>,
) => void;

function describePayload(payload: unknown): string | undefined {
  if (typeof payload === 'function') return undefined;
  if (Array.isArray(payload)) {
    return payload.length === 1 && typeof payload[0] === 'function' ? undefined : 'an array other than [SomeDto]';
  }
  if (payload !== null && typeof payload === 'object') return undefined;
  return String(payload);
}

/**
 * Declares the events an `@Sse()` route sends: event name -> payload (a DTO class, `[Dto]`,
 * `String`, or a JSON Schema typed with `ssePayload<T>()`). The handler's return type is checked
 * against it; in development (`NODE_ENV` not `production`) a value of an undeclared event is
 * still sent, and logged once per route and event name as a warning. With `@nestjs/swagger`,
 * `createSseDocument()` from `nest-event-stream/openapi` documents the route from it.
 *
 * @example
 * @Sse(':id/progress')
 * @SseEvents({ progress: JobProgressDto, done: JobDoneDto }, { ids: true })
 * async *progress(@Param('id') id: string): SseEventStream<{ progress: JobProgressDto; done: JobDoneDto }> { ... }
 */
export function SseEvents<const D extends SseEventsDeclaration>(
  events: D,
  options: SseEventsOptions = {},
): SseEventsDecorator<SseEventsOf<D>> {
  const names = events !== null && typeof events === 'object' ? Object.keys(events) : [];
  const invalid = (detail: string): never => {
    throw new SseOptionsError(`@SseEvents(): ${detail}`);
  };
  if (names.length === 0) invalid('declare at least one event, e.g. @SseEvents({ progress: ProgressDto }).');
  for (const name of names) {
    if (name === '' || /[\r\n]/.test(name)) invalid(`event name ${JSON.stringify(name)} cannot be sent (empty, or with CR/LF).`);
    const problem = describePayload(events[name]);
    if (problem !== undefined) {
      invalid(`the payload of "${name}" is ${problem}; use a DTO class, [Dto], String, or a JSON Schema object.`);
    }
  }
  const metadata: SseEventsMetadata = { events, options: { ...options } };
  return (target, key, descriptor) => {
    if (typeof descriptor?.value !== 'function') {
      const owner = (target as { constructor?: { name?: string } }).constructor?.name ?? 'controller';
      throw new SseOptionsError(`@SseEvents() on ${owner}.${String(key)} must decorate a method.`);
    }
    Reflect.defineMetadata(SSE_EVENTS_METADATA, metadata, descriptor.value);
  };
}

/** The `@SseEvents()` declaration of a handler, if any. */
export function getSseEvents(handler: object): SseEventsMetadata | undefined {
  return Reflect.getMetadata(SSE_EVENTS_METADATA, handler) as SseEventsMetadata | undefined;
}
