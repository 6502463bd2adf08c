import type { Observable, Subscription } from 'rxjs';
import { SseSourceError } from '../errors.js';
import { SseHandlerResult } from './handler-result.js';
import type { SourceSink, SseSource } from './sse-source.js';
import { toSseSource } from './to-sse-source.js';

/**
 * What Nest's interceptor chain hands the SSE interceptor: the handler's result boxed by
 * `@Sse()` (its source takes over), or, when an interceptor between replaced it with an
 * Observable of its own, that Observable's values.
 */
export class ChainSource implements SseSource {
  /** Let go once subscribed: what it closes over (Nest's handler call, its arguments) is not needed for the stream's life. */
  private chain: Observable<unknown> | undefined;
  private subscription: Subscription | undefined;
  private stopResult: (() => void) | undefined;
  private mode: 'waiting' | 'result' | 'values' = 'waiting';

  constructor(chain: Observable<unknown>) {
    this.chain = chain;
  }

  start(sink: SourceSink): () => void {
    const chain = this.chain!;
    this.chain = undefined;
    const subscription = chain.subscribe({
      next: (value) => this.onValue(sink, value),
      error: (err: unknown) => sink.error(err),
      complete: () => {
        // The chain is done once it handed over the result: only the result's stop is kept.
        this.subscription = undefined;
        if (this.mode !== 'result') sink.complete();
      },
    });
    if (!subscription.closed) this.subscription = subscription;
    return () => this.stop();
  }

  discard(): void {
    // Never subscribed: the handler never ran.
    this.chain = undefined;
  }

  private onValue(sink: SourceSink, value: unknown): void {
    if (this.mode === 'result') return;
    if (this.mode === 'values' || !(value instanceof SseHandlerResult)) {
      this.mode = 'values';
      sink.next(value);
      return;
    }
    this.mode = 'result';
    let source: SseSource | undefined;
    try {
      source = toSseSource(value.value);
    } catch (err) {
      // A hostile result (a throwing getter, a Proxy): an error, never an uncaught throw.
      sink.error(err);
      return;
    }
    if (!source) sink.error(new SseSourceError(sink.route, value.value));
    else if (sink.closed) source.discard();
    else {
      const stop = source.start(sink);
      // The stream may have ended while the source started: then it already ran our stop.
      if (sink.closed) stop();
      else this.stopResult = stop;
    }
  }

  private stop(): void {
    const { subscription, stopResult } = this;
    this.subscription = undefined;
    this.stopResult = undefined;
    subscription?.unsubscribe();
    stopResult?.();
  }
}
