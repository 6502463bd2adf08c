/** nest-event-stream/testing: e2e helpers for SSE routes (real HTTP, no open handles left behind). */
export {
  readEvents,
  ReadEventsTimeoutError,
  DEFAULT_READ_TIMEOUT_MS,
  type ReadEventsOptions,
  type ReadEventsResult,
} from './read-events.js';
export { listen, type ListeningApp } from './listen.js';
export type { SseTestTarget } from './server-url.js';
export type { SseMessage } from '../client/sse-message.js';
