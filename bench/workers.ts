/** Starts the server and client processes of one measurement. Never more than one server at a time. */
import { fileURLToPath } from 'node:url';
import type { Competitor } from './competitors.js';
import { RpcWorker } from './ipc/rpc.js';

const SERVER_MAIN = fileURLToPath(new URL('./servers/server-main.js', import.meta.url));
const CLIENT_MAIN = fileURLToPath(new URL('./clients/client-main.js', import.meta.url));

export type ServerWorker = RpcWorker<{ port: number; pid: number }>;
export type ClientWorker = RpcWorker<Record<string, never>>;

/** `--profile=DIR` (or BENCH_PROFILE_DIR): a V8 CPU profile of every server process, for finding hot paths. */
function profileArgs(): string[] {
  const dir = process.argv.find((arg) => arg.startsWith('--profile='))?.slice('--profile='.length) ?? process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** `args`: more arguments for the server (`--redis-url=`, `--redis-prefix=`). */
export function startServerWorker(competitor: Competitor, heartbeatMs: number, args: string[] = []): Promise<ServerWorker> {
  return RpcWorker.start(SERVER_MAIN, [competitor.id, `--heartbeat-ms=${heartbeatMs}`, ...args], {
    label: `server ${competitor.id}`,
    execArgv: ['--expose-gc', ...profileArgs()],
  });
}

export function startClientWorker(): Promise<ClientWorker> {
  return RpcWorker.start(CLIENT_MAIN, [], { label: 'client' });
}

/** Runs `body` with a fresh server and client (started side by side), and always stops both. */
export async function withWorkers<T>(
  competitor: Competitor,
  heartbeatMs: number,
  body: (server: ServerWorker, client: ClientWorker) => Promise<T>,
): Promise<T> {
  const [server, client] = await Promise.allSettled([startServerWorker(competitor, heartbeatMs), startClientWorker()]);
  try {
    if (server.status === 'rejected') throw server.reason;
    if (client.status === 'rejected') throw client.reason;
    return await body(server.value, client.value);
  } finally {
    if (client.status === 'fulfilled') await client.value.stop();
    if (server.status === 'fulfilled') await server.value.stop();
  }
}
