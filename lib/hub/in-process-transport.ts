import { Logger } from '@nestjs/common';
import type { HubEvent } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';

/**
 * The default hub transport: delivers every publish synchronously to the listeners of this
 * process. One app instance only; use a Redis transport to fan out across instances.
 *
 * @example
 * SseModule.forRoot({ transport: new InProcessTransport() }); // the default, spelled out
 */
export class InProcessTransport implements SseHubTransport {
  private readonly listeners = new Set<(event: HubEvent) => void>();

  /**
   * @param onListenerError Called when a listener throws; the other listeners still receive the
   *   event. Default: log it.
   */
  constructor(private readonly onListenerError: (error: unknown) => void = logListenerError) {}

  /** Number of listeners subscribed now. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Hands `event` to every listener before returning. */
  publish(event: HubEvent): void {
    // A snapshot: a listener added while this event is delivered did not exist when it was published.
    for (const listener of [...this.listeners]) {
      if (!this.listeners.has(listener)) continue;
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** Adds a listener; the returned function removes it (calling it twice is harmless). */
  subscribe(listener: (event: HubEvent) => void): () => void {
    // Wrapped so that the same function subscribed twice is two subscriptions, as callers expect.
    const entry = (event: HubEvent): void => listener(event);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  close(): void {
    this.listeners.clear();
  }
}

const logger = new Logger('SseHub');

function logListenerError(error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  logger.error(`A hub listener threw: ${err.message}`, err.stack);
}
