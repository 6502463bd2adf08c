/** nest-event-stream/client: a typed Server-Sent Events consumer on fetch (Node >= 20, browsers, workers). */
export { connectSse, type SseStream } from './connect-sse.js';
export type { ConnectSseOptions, SseRequestBody, SseRequestHeaders, SseRetryInfo } from './connect-sse-options.js';
export type { SseMessage, SseMessageOf, SseTextEventMap } from './sse-message.js';
export { SseConnectionError, SseContentTypeError, SseEventTooLargeError, SseHttpError, SseJsonError } from './client-errors.js';
export { SseError } from '../errors.js';
