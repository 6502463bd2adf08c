/** Single stream: one client, an async generator of small JSON events pulled as fast as the socket takes them. */
import type { BenchConfig } from '../bench-config.js';
import type { SingleResult } from '../clients/client-main.js';
import type { Competitor } from '../competitors.js';
import { withWorkers } from '../workers.js';

export interface SingleStreamResult {
  eventsPerSec: number;
  events: number;
  ms: number;
  /** False when the server dropped the stream instead of ending it. */
  ended: boolean;
}

export function runSingleStream(competitor: Competitor, config: BenchConfig): Promise<SingleStreamResult> {
  return withWorkers(competitor, 15_000, async (server, client) => {
    const { maxEvents, maxMs } = config.single;
    // A short first stream warms the JIT, as any long-running server is.
    await client.call<SingleResult>('single', { port: server.info.port, path: `/single?count=${maxEvents}&ms=${Math.min(300, maxMs)}` });
    const result = await client.call<SingleResult>('single', { port: server.info.port, path: `/single?count=${maxEvents}&ms=${maxMs}` });
    return { eventsPerSec: (result.events / result.ms) * 1000, events: result.events, ms: result.ms, ended: result.ended };
  });
}
