/**
 * The typed event contract: one event map (event name -> payload type) that types what a handler
 * may send (`@SseEvents()`), what a hub channel may publish (`hub.channel<M>()`) and what a
 * client receives (`connectSse<M>()`). Types only, apart from `ssePayload()`.
 */
import type { Type } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { HubSource } from '../hub/hub-source.js';
import type { SseEvent } from '../wire/sse-event.js';

/**
 * A JSON Schema (OpenAPI Schema Object) describing an event's payload, e.g.
 * `{ type: 'object', properties: { user: { type: 'string' } }, required: ['user'] }`.
 * Give it a TypeScript type with {@link ssePayload}; a bare schema types the payload `unknown`.
 */
export interface SseJsonSchema {
  readonly [keyword: string]: unknown;
}

declare const payloadType: unique symbol;

/** A JSON Schema that carries the TypeScript type of the payload it describes (see {@link ssePayload}). */
export type SseTypedSchema<T> = SseJsonSchema & { readonly [payloadType]?: T };

/**
 * What an event's payload is, as `@SseEvents()` takes it:
 * - a DTO class (`ProgressDto`, documented by `@nestjs/swagger` from its `@ApiProperty()`s), sent as JSON;
 * - `[ItemDto]`: an array of them;
 * - `String`: the data is text, sent as it is (`Number`, `Boolean`: sent as `String(value)`);
 * - a JSON Schema, typed with {@link ssePayload}.
 */
export type SsePayloadDeclaration =
  Type<unknown> | readonly [Type<unknown>] | StringConstructor | NumberConstructor | BooleanConstructor | SseJsonSchema;

/** Event name -> payload declaration, as `@SseEvents({ progress: ProgressDto, done: DoneDto })` takes it. */
export type SseEventsDeclaration = { readonly [event: string]: SsePayloadDeclaration };

/** The TypeScript type of one payload declaration. */
export type SsePayloadOf<D> = D extends StringConstructor
  ? string
  : D extends NumberConstructor
    ? number
    : D extends BooleanConstructor
      ? boolean
      : D extends readonly [StringConstructor]
        ? string[]
        : D extends readonly [NumberConstructor]
          ? number[]
          : D extends readonly [BooleanConstructor]
            ? boolean[]
            : D extends readonly [Type<infer Item>]
              ? Item[]
              : D extends Type<infer Instance>
                ? Instance
                : D extends { readonly [payloadType]?: infer T }
                  ? T
                  : unknown;

/**
 * The event map of a declaration: `SseEventsOf<typeof jobEvents>` is
 * `{ progress: ProgressDto; done: DoneDto }`. Use it for `hub.channel<M>()` and `connectSse<M>()`.
 *
 * @example
 * export const jobEvents = { progress: ProgressDto, done: DoneDto } as const;
 * export type JobEvents = SseEventsOf<typeof jobEvents>;
 */
export type SseEventsOf<D> = { -readonly [K in keyof D]: SsePayloadOf<D[K]> };

/** Optional fields a handler may add to a typed event. */
interface SseEventExtras {
  readonly id?: string | number;
  readonly retry?: number;
  readonly comment?: string;
}

type EventEnvelope<K extends string, D> =
  (SseEventExtras & { readonly event: K; readonly data: D }) | (SseEventExtras & { readonly type: K; readonly data: D });

/** A `message` event may also be sent without a name: an envelope without `event`, or the data itself. */
type UnnamedMessage<M, K extends keyof M> = K extends 'message' ? (SseEventExtras & { readonly data: M[K] }) | M[K] : never;

/**
 * A value that sends one event of the map `M`: `{ event, data }` (or Nest's `{ type, data }`), an
 * `SseEvent` with a literal event name, and, for `message`, the data itself.
 *
 * @example const value: SseEventValue<{ progress: { percent: number } }> = { event: 'progress', data: { percent: 50 } };
 */
export type SseEventValue<M> = {
  [K in keyof M & string]: EventEnvelope<K, M[K]> | SseEvent<M[K], K> | UnnamedMessage<M, K>;
}[keyof M & string];

/**
 * The value of a hub channel's frames (`frame.value`): what was published on it (`{ event, data }`),
 * or, for the hub's own events on it (presence `join`/`leave`, the gap notice), their data.
 */
export type SseChannelValue<M> = { [K in keyof M & string]: { event: K; data: M[K] } | M[K] }[keyof M & string];

/** What an `@Sse()` handler may return when its events are declared: a source of `SseEventValue<M>`, or `null` (204). */
export type SseSourceOf<M> =
  AsyncIterable<SseEventValue<M>> | Iterable<SseEventValue<M>> | Observable<SseEventValue<M>> | HubSource<SseChannelValue<M>>;

/** The return type `@SseEvents()` checks a handler against: a source of the map's events, `null` (204), or a Promise of one. */
export type SseResultOf<M> = SseSourceOf<M> | null | Promise<SseSourceOf<M> | null>;

/**
 * The return type to annotate an async generator handler with, so that each `yield` is checked
 * where it is written (and `event: 'progress'` keeps its literal type).
 *
 * @example
 * @Sse(':id/progress') @SseEvents(jobEvents)
 * async *progress(): SseEventStream<JobEvents> { yield { event: 'progress', data: { percent: 10 } }; }
 */
export type SseEventStream<M> = AsyncGenerator<SseEventValue<M>, void, undefined>;

/**
 * Gives a JSON Schema payload its TypeScript type (returns the schema itself).
 *
 * @example
 * @SseEvents({ join: ssePayload<{ user: string }>({ type: 'object', properties: { user: { type: 'string' } }, required: ['user'] }) })
 */
export function ssePayload<T>(schema: SseJsonSchema): SseTypedSchema<T> {
  return schema;
}
