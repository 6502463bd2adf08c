/**
 * The stream lifecycle on `node:diagnostics_channel`, free when nobody listens: subscribe to see
 * every stream open (with the writer that carries it) and end (with its reason).
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe(SSE_STREAM_OPEN_CHANNEL, (message) => console.log((message as SseStreamOpenMessage).writer));
 */
import { channel } from 'node:diagnostics_channel';
import type { SseEndReason } from './cleanup/clean-up.js';
import type { SseWriterName } from './connection/sse-connection.js';

/** Channel name: published once per stream when its head is sent. */
export const SSE_STREAM_OPEN_CHANNEL = 'nest-event-stream:stream-open';
/** Channel name: published once per stream when it ends, for any reason. */
export const SSE_STREAM_END_CHANNEL = 'nest-event-stream:stream-end';

export interface SseStreamOpenMessage {
  /** `Controller.method (GET /path)`, without the query string. */
  readonly route: string;
  /** `direct-chunks` (HTTP/1.1 chunks straight to the socket) or `response` (`res.write()`). */
  readonly writer: SseWriterName | undefined;
}

export interface SseStreamEndMessage {
  readonly route: string;
  readonly reason: SseEndReason;
  /** True when the stream failed before its head, so the exception filters answered. */
  readonly beforeHead: boolean;
}

export const streamOpenChannel = channel(SSE_STREAM_OPEN_CHANNEL);
export const streamEndChannel = channel(SSE_STREAM_END_CHANNEL);
