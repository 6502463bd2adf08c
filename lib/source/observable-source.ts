import type { Observable } from 'rxjs';
import type { SourceSink, SseSource } from './sse-source.js';

/** An Observable: it pushes at its own pace; the stream bounds what waits for the socket. */
export class ObservableSource implements SseSource {
  constructor(private readonly observable: Observable<unknown>) {}

  start(sink: SourceSink): () => void {
    const subscription = this.observable.subscribe({
      next: (value) => sink.next(value),
      error: (err: unknown) => sink.error(err),
      complete: () => sink.complete(),
    });
    // Only now: an error on subscribe, or a first value emitted while subscribing that cannot be
    // encoded, is still answered with a status.
    sink.open();
    return () => subscription.unsubscribe();
  }

  discard(): void {
    // Never subscribed: nothing runs.
  }
}
