/**
 * The one shape every handler result takes on its way to the socket. A source produces into a
 * sink (the stream) and hands back how to stop it; the stream decides when that happens.
 */

/** What a source writes into. Implemented by the stream. */
export interface SourceSink {
  /** True once the stream has ended: produce nothing more. */
  readonly closed: boolean;
  /** `Controller.method (GET /path)`, for messages. */
  readonly route: string;
  /** Sends the head now (a push source, once subscribed: `onopen` must not wait for a first value). */
  open(): void;
  /**
   * Sends the head with the first value, or when the head wait (`headWaitMs`) ends, whichever
   * comes first: a pull source's body up to its first `yield` is still "before the stream".
   */
  openOnFirstValue(): void;
  /** 204 No Content, before the head. */
  noContent(): void;
  /** Writes one value, paced by the socket: false means "await drained() before the next one". */
  write(value: unknown): boolean;
  /** Resolves true once the socket can take more, false when the stream ended first. */
  drained(): Promise<boolean>;
  /** Writes one value from a producer that cannot wait; past `maxPendingBytes` the client is dropped. */
  next(value: unknown): void;
  error(err: unknown): void;
  complete(): void;
}

export interface SseSource {
  /** Starts producing into `sink`; returns how to stop (unsubscribe, `return()`), called once. */
  start(sink: SourceSink): () => void;
  /** Releases a source that will never start (its client left before it was returned). */
  discard(): void;
}

/** Implemented by objects that are sources of their own (a hub subscription): `value[SSE_SOURCE]()`. */
export const SSE_SOURCE: unique symbol = Symbol('nest-event-stream.source');

export interface ProvidesSseSource {
  [SSE_SOURCE](): SseSource;
}

export function providesSseSource(value: unknown): value is ProvidesSseSource {
  return typeof (value as Partial<ProvidesSseSource> | null)?.[SSE_SOURCE] === 'function';
}
