/**
 * What `hub.subscribe()` and resumable streams return: an Observable of frames (use it as any
 * Observable) that is also a source of its own for `@Sse()`: its frames go straight to the
 * stream, with no per-subscriber rxjs work, and a replay is paced by the socket.
 */
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { SSE_SOURCE, type ProvidesSseSource, type SourceSink, type SseSource } from '../source/sse-source.js';
import type { EncodedFrame } from '../wire/encoded-frame.js';

/** Receives a subscription's frames. An rxjs `Subscriber` is one (then a replay is not paced). */
export interface HubSink<T = unknown> {
  /** True once the sink wants nothing more; the hub then skips it. */
  readonly closed: boolean;
  /** The subscription listens (a remote transport confirmed it): a stream may send its head. */
  open?(): void;
  /** A live frame: written at once. */
  next(frame: EncodedFrame<T>): void;
  error(err: unknown): void;
  complete(): void;
  /** Nothing to send (a resumable stream that is unknown or fully delivered): 204 before the head. */
  noContent?(): void;
  /** A replayed frame, paced: false means "await drained() before the next one". */
  write?(frame: EncodedFrame<T>): boolean;
  /** Resolves true once the receiver can take more, false when it is gone. */
  drained?(): Promise<boolean>;
}

export class HubSource<T = unknown> extends Observable<EncodedFrame<T>> implements ProvidesSseSource, SseSource {
  constructor(private readonly attachSink: (sink: HubSink<T>) => () => void) {
    super();
  }

  /** Delivers frames straight to `sink`; returns the detach function (call it once, when done). */
  attach(sink: HubSink<T>): () => void {
    return this.attachSink(sink);
  }

  /** @internal As an Observable: the subscriber is the sink (a replay is then not paced). */
  protected _subscribe(subscriber: Subscriber<EncodedFrame<T>>): TeardownLogic {
    return this.attachSink(subscriber);
  }

  [SSE_SOURCE](): SseSource {
    return this;
  }

  /**
   * @internal As an `@Sse()` source: the stream is the sink, with no adapter per stream. Its
   * `open()` comes once the subscription listens (at once in process), so an error before it
   * still reaches the exception filters and no publish after the head is missed.
   */
  start(sink: SourceSink): () => void {
    return this.attachSink(sink);
  }

  /** @internal */
  discard(): void {
    // Nothing was attached.
  }
}

/**
 * A source known later (a lease or a state read from Redis first): attaches to it once it is
 * there; `null` means nothing to send (204 for a stream, completion for an Observable).
 */
export function deferredSource<T>(pending: Promise<HubSource<T> | null>): HubSource<T> {
  return new HubSource<T>((sink) => {
    let detach: (() => void) | undefined;
    let stopped = false;
    pending.then(
      (source) => {
        if (stopped || sink.closed) return;
        if (source) detach = source.attach(sink);
        else if (sink.noContent) sink.noContent();
        else sink.complete();
      },
      (err: unknown) => {
        if (!stopped && !sink.closed) sink.error(err);
      },
    );
    return () => {
      stopped = true;
      detach?.();
    };
  });
}
