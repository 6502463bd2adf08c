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
  constructor(
    private readonly chain: Observable<unknown>,
    /** Names the route in the error for a result that is not a source. */
    private readonly route: string,
  ) {}

  start(sink: SourceSink): () => void {
    let stopResult: (() => void) | undefined;
    let mode: 'waiting' | 'result' | 'values' = 'waiting';
    const subscription: Subscription = this.chain.subscribe({
      next: (value) => {
        if (mode === 'result') return;
        if (mode === 'values' || !(value instanceof SseHandlerResult)) {
          mode = 'values';
          sink.push(value);
          return;
        }
        mode = 'result';
        let source: SseSource | undefined;
        try {
          source = toSseSource(value.value);
        } catch (err) {
          // A hostile result (a throwing getter, a Proxy): an error, never an uncaught throw.
          sink.error(err);
          return;
        }
        if (!source) sink.error(new SseSourceError(this.route, value.value));
        else if (sink.closed) source.discard();
        else {
          const stop = source.start(sink);
          // The stream may have ended while the source started: then it already ran our stop.
          if (sink.closed) stop();
          else stopResult = stop;
        }
      },
      error: (err: unknown) => sink.error(err),
      complete: () => {
        if (mode !== 'result') sink.complete();
      },
    });
    return () => {
      subscription.unsubscribe();
      stopResult?.();
    };
  }

  discard(): void {
    // Never subscribed: the handler never ran.
  }
}
