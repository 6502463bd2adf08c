import type { SseHubStore } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';

/** Bounds of the hub's history (the default in-memory store; the Redis store takes the same). */
export interface SseHistoryOptions {
  /** Events kept per channel. Default 1000. */
  maxEvents?: number;
  /** Events older than this (ms) are dropped. Default: no age limit. */
  maxAgeMs?: number;
  /** Channels kept; past it, the least recently published to is forgotten. Default 10,000. */
  maxChannels?: number;
  /** Bytes held in all (frames, values, bookkeeping); past it the oldest channels go first. Default 64 MiB. */
  maxBytes?: number;
  /** A channel without a new event for this long (ms) is forgotten. Default 1,800,000 (30 minutes). */
  idleChannelMs?: number;
}

/** Resumable streams (`hub.startStream()`). */
export interface SseResumableOptions {
  /** Streams held at once (running, or finished within their ttl); past it the oldest finished one goes, and with none finished a start gets 503. Default 1000. */
  maxStreams?: number;
  /** Events recorded per stream (the oldest go first). Default 10,000. */
  maxEvents?: number;
  /** How long (ms) a stream stays resumable after it finished or was stopped. Default 300,000 (5 minutes). */
  ttl?: number;
  /**
   * With a store shared by instances (Redis): how long (ms) a producer's instance holds the
   * stream's lease without renewing it (renewed every third of it). When an instance dies, its
   * streams end with an error event this long after. Default 10,000.
   */
  leaseMs?: number;
}

/** Hub part of `SseModule.forRoot()` options. */
export interface SseHubOptions {
  /** History of the default store, or `false` to keep none (resume then always reports a gap). */
  history?: SseHistoryOptions | false;
  /** Replaces the default in-memory store (e.g. Redis Streams). */
  store?: SseHubStore;
  /** Replaces the default in-process transport (e.g. Redis). */
  transport?: SseHubTransport;
  /** Bounds and ttl of resumable streams. */
  resumable?: SseResumableOptions;
}
