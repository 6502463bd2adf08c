/** Why a stream ended. */
export type SseEndReason = 'complete' | 'client-gone' | 'error' | 'overflow' | 'shutdown';

export type CleanUpFn = () => unknown;

/** Where teardown errors go (a Nest Logger in the app; injectable for tests). */
export interface CleanUpErrorSink {
  error(message: string, stack?: string): void;
}

/**
 * Teardown for one SSE stream. Inject it into an `@Sse()` handler by type, or with
 * `@InjectCleanUp()`. Functions added with {@link CleanUp.add} run exactly once, last-added
 * first, when the stream ends for any reason (client gone, source complete, error, overflow,
 * shutdown); a function that throws or rejects is logged and the others still run. Added after
 * the end, a function runs at once.
 *
 * @example
 * @Sse('ticks') ticks(cleanUp: CleanUp) {
 *   const timer = setInterval(() => bus.emit('tick'), 1000);
 *   cleanUp.add(() => clearInterval(timer));
 *   return fromEvent(bus, 'tick');
 * }
 */
export class CleanUp {
  /** Made on the first `add()`: many streams add nothing. */
  private fns: CleanUpFn[] | undefined;
  // Made on first use of `signal`: most streams never ask, and an AbortController costs memory per stream.
  private controller: AbortController | undefined;
  private endReason: SseEndReason | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly sink: CleanUpErrorSink = console) {}

  /** Aborted when the stream ends; pass it to `fetch`, timers or your own loops. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.endReason !== undefined) this.controller.abort(this.endReason);
    }
    return this.controller.signal;
  }

  /** Why the stream ended; `undefined` while it is open. */
  get reason(): SseEndReason | undefined {
    return this.endReason;
  }

  /** True once the stream has ended. */
  get ended(): boolean {
    return this.endReason !== undefined;
  }

  /**
   * Registers teardown (sync or async). Returns a function that unregisters it.
   * @example cleanUp.add(() => subscription.unsubscribe());
   */
  add(fn: CleanUpFn): () => void {
    if (typeof fn !== 'function') {
      throw new TypeError(`cleanUp.add() expects a function, got ${typeof fn}.`);
    }
    if (this.ended) {
      void this.invoke(fn);
      return () => undefined;
    }
    (this.fns ??= []).push(fn);
    let registered = true;
    return () => {
      // Idempotent: a second call must not unregister another registration of the same function.
      if (!registered) return;
      registered = false;
      const index = this.fns?.lastIndexOf(fn) ?? -1;
      if (index !== -1) this.fns!.splice(index, 1);
    };
  }

  /**
   * Ends the scope: aborts the signal, then runs every function once, last-added first. Sync
   * functions run before this returns; an async one is awaited before the next starts. Called by
   * the library; calling it again returns the same promise.
   * @internal
   */
  run(reason: SseEndReason): Promise<void> {
    if (this.running) return this.running;
    this.endReason = reason;
    this.controller?.abort(reason);
    this.running = this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    const fns = this.fns ?? [];
    for (let fn = fns.pop(); fn; fn = fns.pop()) {
      const pending = this.invoke(fn);
      if (pending) await pending;
    }
  }

  /** Runs one function; returns a promise only when it is async, so sync teardown stays synchronous. */
  private invoke(fn: CleanUpFn): Promise<void> | undefined {
    try {
      const result = fn();
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        return Promise.resolve(result).then(
          () => undefined,
          (err: unknown) => this.report(err),
        );
      }
    } catch (err) {
      this.report(err);
    }
    return undefined;
  }

  private report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.sink.error(`A CleanUp function failed: ${error.message}`, error.stack);
  }
}
