import { Logger } from '@nestjs/common';
import type { HubEvent } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';
import { Listeners, reportListenerError } from './listeners.js';

/**
 * The default hub transport: delivers every publish synchronously to the listeners of this
 * process. One app instance only; use a Redis transport to fan out across instances.
 *
 * @example
 * SseModule.forRoot({ transport: new InProcessTransport() }); // the default, spelled out
 */
export class InProcessTransport implements SseHubTransport {
  private readonly listeners: Listeners<[HubEvent]>;

  /**
   * @param onListenerError Called when a listener throws; the other listeners still receive the
   *   event. Default: log it.
   */
  constructor(onListenerError: (error: unknown) => void = logListenerError) {
    this.listeners = new Listeners(onListenerError);
  }

  /** Number of listeners subscribed now. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Hands `event` to every listener before returning. */
  publish(event: HubEvent): void {
    this.listeners.emit(event);
  }

  /** Adds a listener; the returned function removes it (calling it twice is harmless). */
  subscribe(listener: (event: HubEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    this.listeners.clear();
  }
}

const logger = new Logger('SseHub');
const logListenerError = reportListenerError((message, stack) => logger.error(message, stack), 'listener');
