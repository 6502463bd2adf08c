import { assertValidFields } from './sse-fields.js';

/**
 * The fields of one Server-Sent Event. All optional; `data` is serialized like a yielded value.
 * `E` is the event name's type: a literal (`'progress'`) lets `@SseEvents()` check it.
 */
export interface SseEventInit<T = unknown, E extends string = string> {
  /** Payload. Strings are sent as they are (line breaks split into several `data:` lines), other values as JSON. */
  data?: T;
  /** Event name (`addEventListener(name)` on the client). No CR or LF. */
  event?: E;
  /** Event id, echoed back by the client as `Last-Event-ID` on reconnect. No CR, LF or NUL. */
  id?: string | number;
  /** Reconnection delay the client should use, in ms. A non-negative integer. */
  retry?: number;
  /** A comment line (ignored by clients; useful for padding and debugging). */
  comment?: string;
}

/**
 * One Server-Sent Event with exactly the fields you give it. Yield it from an `@Sse()` handler.
 * Fields are validated here, so a bad `id` or `event` fails where you build it.
 *
 * @example yield new SseEvent({ event: 'progress', id: String(step), data: { percent } });
 */
export class SseEvent<T = unknown, E extends string = string> implements SseEventInit<T, E> {
  readonly data?: T;
  readonly event?: E;
  readonly id?: string | number;
  readonly retry?: number;
  readonly comment?: string;
  /** Type-only: makes the class nominal, so an object that merely has an `id` is not an SseEvent. */
  declare private readonly nominal: never;

  constructor(init: SseEventInit<T, E>) {
    assertValidFields(init);
    if (init.data !== undefined) this.data = init.data;
    if (init.event !== undefined) this.event = init.event;
    if (init.id !== undefined) this.id = init.id;
    if (init.retry !== undefined) this.retry = init.retry;
    if (init.comment !== undefined) this.comment = init.comment;
  }
}
