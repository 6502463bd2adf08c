/** Single stream: one client, an async generator of small JSON events pulled as fast as the socket takes them. */
import type { BenchConfig } from '../bench-config.js';
import type { SingleResult } from '../clients/client-main.js';
import type { Competitor } from '../competitors.js';
import { machineCpuWindow } from '../machine.js';
import type { CpuReading } from '../servers/server-main.js';
import { withWorkers } from '../workers.js';

export interface SingleStreamResult {
  /** Events received / time from the request until the stream ended (or the deadline). */
  eventsPerSec: number;
  events: number;
  ms: number;
  /** False when the stream had not ended by the deadline (`timeoutMs` + 2 s), or was dropped. */
  ended: boolean;
  serverCpuPercent: number;
  /** Busy CPU of the machine minus the server's (client, other load), % of one core. */
  restCpuPercent: number;
}

/**
 * A fixed number of events rather than a fixed time: a server that does not wait for the socket
 * (it buffers everything the generator yields, then drains) is measured until its last event
 * arrives, like everyone else.
 */
export function runSingleStream(competitor: Competitor, config: BenchConfig): Promise<SingleStreamResult> {
  return withWorkers(competitor, 15_000, async (server, client) => {
    const { events, timeoutMs } = config.single;
    const read = (count: number) =>
      client.call<SingleResult>('single', {
        port: server.info.port,
        path: `/single?count=${count}&ms=${timeoutMs}`,
        deadlineMs: timeoutMs + 2_000,
      });
    // A short first stream warms the JIT, as any long-running server is.
    await read(Math.round(events / 10));
    await server.call('gc');
    await server.call('cpuStart');
    const machine = machineCpuWindow();
    const result = await read(events);
    const cpu = await server.call<CpuReading>('cpuRead');
    const machineCpu = machine();
    return {
      eventsPerSec: (result.events / result.ms) * 1000,
      events: result.events,
      ms: result.ms,
      ended: result.ended && result.events === events,
      serverCpuPercent: cpu.cpuPercent,
      restCpuPercent: Math.max(0, machineCpu - cpu.cpuPercent),
    };
  });
}
