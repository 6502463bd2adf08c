/**
 * What every competitor implements, in its own idiomatic way, so that one harness drives them all.
 *
 * Routes (all on 127.0.0.1):
 * - `GET /fanout`: a stream subscribed to the one broadcast channel (also used by the idle and
 *   churn scenarios).
 * - `GET /single?count=&ms=`: one stream fed by `generateEvents()`; the response ends after it.
 */
import type { BenchEvent } from './bench-event.js';

export interface BenchServerOptions {
  /** Heartbeat interval of every stream, in ms. */
  heartbeatMs: number;
  /** Where the hub keeps and sends its events (servers that run on Redis: the scale-out scenario). */
  redis?: { url: string; keyPrefix: string };
}

export interface BenchServer {
  readonly port: number;
  /** Broadcasts one event to every `/fanout` stream. */
  publish(event: BenchEvent): void;
  /** Streams whose teardown has not run yet (the library's own view, not the socket count). */
  openStreams(): number;
  close(): Promise<void>;
}

export type StartBenchServer = (options: BenchServerOptions) => Promise<BenchServer>;
