import type { SseHubStore } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';

/** Bounds of the default in-memory history, per channel. */
export interface SseHistoryOptions {
  /** Events kept per channel. Default 1000. */
  maxEvents?: number;
  /** Events older than this (ms) are dropped. Default: no age limit. */
  maxAgeMs?: number;
}

/** Hub part of `SseModule.forRoot()` options. */
export interface SseHubOptions {
  /** History of the default store, or `false` to keep none (resume then always reports a gap). */
  history?: SseHistoryOptions | false;
  /** Replaces the default in-memory store (e.g. Redis Streams). */
  store?: SseHubStore;
  /** Replaces the default in-process transport (e.g. Redis). */
  transport?: SseHubTransport;
}
