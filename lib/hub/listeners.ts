/**
 * Listeners called in turn, as the hub's transports and presence books need them: each call
 * walks a snapshot (one added meanwhile waits for the next call, one removed meanwhile is
 * skipped), and one that throws is reported without stopping the others. Pure.
 */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();

  constructor(private readonly onError: (error: unknown) => void) {}

  get size(): number {
    return this.set.size;
  }

  /** Adds a listener; the returned function removes it (twice is harmless; the same function added twice is two listeners). */
  add(listener: (...args: A) => void): () => void {
    const entry = (...args: A): void => listener(...args);
    this.set.add(entry);
    return () => {
      this.set.delete(entry);
    };
  }

  emit(...args: A): void {
    for (const listener of [...this.set]) {
      if (!this.set.has(listener)) continue;
      try {
        listener(...args);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}

/** An `onError` for {@link Listeners} that logs through `log` with what the listener was for. */
export function reportListenerError(log: (message: string, stack?: string) => void, what: string): (error: unknown) => void {
  return (err) => {
    const error = err instanceof Error ? err : new Error(String(err));
    log(`A hub ${what} threw: ${error.message}`, error.stack);
  };
}
