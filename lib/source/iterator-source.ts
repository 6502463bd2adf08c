import type { SourceSink, SseSource } from './sse-source.js';
import { isPromise } from './is-promise.js';

/** An (async) iterator, pulled only while the socket accepts data. */
export class IteratorSource implements SseSource {
  constructor(private readonly iterator: AsyncIterator<unknown> | Iterator<unknown>) {}

  start(sink: SourceSink): () => void {
    sink.openOnFirstValue();
    void this.pump(sink);
    return () => this.release(sink);
  }

  discard(): void {
    try {
      const returned = this.iterator.return?.();
      if (isPromise(returned)) returned.then(undefined, () => undefined);
    } catch {
      // Nothing was started for it; nothing to report.
    }
  }

  private async pump(sink: SourceSink): Promise<void> {
    try {
      for (;;) {
        const step = await this.iterator.next();
        if (sink.closed) return;
        if (step.done) {
          sink.complete();
          return;
        }
        if (!sink.write(step.value) && !(await sink.drained())) return;
      }
    } catch (err) {
      // After the end this is a late error: the stream decides whether it is worth a log line.
      sink.error(err);
    }
  }

  /** `return()` even while the generator is blocked in an `await`: it runs its `finally` once that settles. */
  private release(sink: SourceSink): void {
    try {
      const returned = this.iterator.return?.();
      if (isPromise(returned)) returned.then(undefined, (err: unknown) => sink.error(err));
    } catch (err) {
      sink.error(err);
    }
  }
}
