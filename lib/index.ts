/** nest-event-stream: Server-Sent Events for NestJS. The public names of PRODUCT.md. */
export { SseModule } from './sse.module.js';
export { Sse } from './sse.decorator.js';
export {
  SseEvents,
  SSE_EVENTS_METADATA,
  type SseEventsOptions,
  type SseEventsMetadata,
  type SseEventsDecorator,
} from './events/sse-events.decorator.js';
export {
  ssePayload,
  type SseEventsDeclaration,
  type SsePayloadDeclaration,
  type SseJsonSchema,
  type SseTypedSchema,
  type SsePayloadOf,
  type SseEventsOf,
  type SseEventValue,
  type SseEventStream,
  type SseChannelValue,
  type SseSourceOf,
  type SseResultOf,
} from './events/sse-event-map.js';
export { SseInterceptor } from './sse.interceptor.js';
export { LastEventId, MAX_LAST_EVENT_ID_LENGTH, readLastEventId } from './last-event-id.decorator.js';
export { CleanUp, type CleanUpFn, type SseEndReason } from './cleanup/clean-up.js';
export { InjectCleanUp } from './cleanup/inject-clean-up.decorator.js';
export { SseEvent, type SseEventInit } from './wire/sse-event.js';
export { encodeValue, jsonSerializer, type SseSerializer } from './wire/encode-frame.js';
export { SSE_MODULE_OPTIONS, SSE_ERROR_EVENT } from './sse.constants.js';
export {
  SseHub,
  SSE_GAP_EVENT,
  SSE_JOIN_EVENT,
  SSE_LEAVE_EVENT,
  type SseHubEventInfo,
  type SsePublishOptions,
  type SseSubscribeOptions,
  type SseGapNotice,
} from './hub/sse-hub.js';
export type { SsePresenceEntry } from './hub/presence.js';
export { SseHubChannel } from './hub/sse-hub-channel.js';
export { HubSource, type HubSink } from './hub/hub-source.js';
export { InMemoryHubStore } from './hub/in-memory-hub-store.js';
export {
  DEFAULT_HISTORY_MAX_EVENTS,
  DEFAULT_HISTORY_MAX_CHANNELS,
  DEFAULT_HISTORY_MAX_BYTES,
  DEFAULT_IDLE_CHANNEL_MS,
} from './hub/history-bounds.js';
export { InProcessTransport } from './hub/in-process-transport.js';
export { parseHubId, formatHubId, compareHubIds, type HubIdPoint } from './hub/hub-id.js';
export type { SseHubStore, HubEvent, HubEventInput, HubReplay, MaybePromise } from './hub/sse-hub-store.js';
export type { SseHubTransport } from './hub/sse-hub-transport.js';
export type { SseHubOptions, SseHistoryOptions, SseResumableOptions } from './hub/sse-hub-options.js';
export { SSE_STOPPED_EVENT } from './resumable/resumable-streams.js';
export type { StreamProducer, StartStreamOptions, ResumeStreamOptions } from './resumable/resumable-streams.js';
export type { SseStreamLeases, StreamState, StreamStatus } from './resumable/stream-leases.js';
export { EncodedFrame } from './wire/encoded-frame.js';
export type {
  SseModuleOptions,
  SseModuleAsyncOptions,
  SseRouteOptions,
  SseStreamOptions,
  SseConnectionsPerKey,
} from './sse-module-options.js';
export {
  SseError,
  SseFieldError,
  SseHeadError,
  SseOptionsError,
  SseOverflowError,
  SseSerializationError,
  SseSourceError,
} from './errors.js';
export { SSE_STREAM_OPEN_CHANNEL, SSE_STREAM_END_CHANNEL, type SseStreamOpenMessage, type SseStreamEndMessage } from './diagnostics.js';
export type { SseWriterName } from './connection/sse-connection.js';
