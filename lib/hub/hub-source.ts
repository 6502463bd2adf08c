/**
 * What `hub.subscribe()` returns: an Observable of frames (use it as any Observable) that the
 * SSE interceptor can also attach to directly, so a broadcast to N sockets costs N writes rather
 * than N trips through rxjs and Nest's interceptor chain.
 */
import { Observable } from 'rxjs';
import type { EncodedFrame } from '../wire/encoded-frame.js';

/** Receives a subscription's frames. An rxjs `Subscriber` is one. */
export interface HubSink<T = unknown> {
  /** True once the sink wants nothing more; the hub then skips it. */
  readonly closed: boolean;
  next(frame: EncodedFrame<T>): void;
  error(err: unknown): void;
  complete(): void;
}

export class HubSource<T = unknown> extends Observable<EncodedFrame<T>> {
  constructor(private readonly attachSink: (sink: HubSink<T>) => () => void) {
    super((subscriber) => attachSink(subscriber));
  }

  /** Delivers frames straight to `sink`; returns the detach function (call it once, when done). */
  attach(sink: HubSink<T>): () => void {
    return this.attachSink(sink);
  }
}
