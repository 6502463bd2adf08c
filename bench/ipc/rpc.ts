/**
 * A tiny request/response protocol over the IPC channel of `child_process.fork()`: the
 * orchestrator calls named commands in a server or client process and awaits their results.
 */
import { fork, type ChildProcess } from 'node:child_process';

interface RpcRequest {
  rpc: 'call';
  id: number;
  command: string;
  args: unknown;
}

interface RpcResponse {
  rpc: 'result';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

interface RpcReady {
  rpc: 'ready';
  info: unknown;
}

type RpcMessage = RpcRequest | RpcResponse | RpcReady;

export type RpcHandlers = Record<string, (args: never) => unknown>;

/** Child side: answers the orchestrator's calls with `handlers`, then tells it `info` (e.g. a port). */
export function serveRpc(handlers: RpcHandlers, info: unknown = {}): void {
  if (!process.send) throw new Error('bench worker: start me with child_process.fork() (no IPC channel).');
  process.on('message', (message: RpcMessage) => {
    if (message?.rpc !== 'call') return;
    const handler = handlers[message.command] as ((args: unknown) => unknown) | undefined;
    const reply = (response: Omit<RpcResponse, 'rpc' | 'id'>) => process.send?.({ rpc: 'result', id: message.id, ...response });
    if (!handler) {
      reply({ ok: false, error: `unknown command ${message.command}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (value) => reply({ ok: true, value }),
        (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  // The orchestrator going away (Ctrl-C, crash) must not leave servers or clients behind.
  process.on('disconnect', () => process.exit(0));
  process.send({ rpc: 'ready', info });
}

/** `ulimit -n` to the hard limit (or BENCH_OPEN_FILES, when lower), then the real command (`$@`). */
const RAISE_OPEN_FILES =
  'hard=$(ulimit -Hn); want=${BENCH_OPEN_FILES:-$hard}; ' +
  '[ "$hard" != unlimited ] && [ "$want" -gt "$hard" ] && want=$hard; ulimit -n "$want" 2>/dev/null; exec "$@"';

/** Orchestrator side: one forked worker process. */
export class RpcWorker<Info = unknown> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly info: Info,
    readonly label: string,
  ) {
    child.on('message', (message: RpcMessage) => {
      if (message?.rpc !== 'result') return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`${label}: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${label} exited (code ${code}, signal ${signal})`));
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks `modulePath` and waits for it to report ready (its `info`), or fails after `timeoutMs`. */
  static async start<Info>(
    modulePath: string,
    args: string[],
    options: { label: string; execArgv?: string[]; timeoutMs?: number },
  ): Promise<RpcWorker<Info>> {
    // Through sh, to raise this worker's open-files limit (soft, up to the hard one) before Node
    // starts: thousands of sockets need it, and the machine's own settings stay as they are.
    const child = fork(modulePath, args, {
      execPath: '/bin/sh',
      execArgv: ['-c', RAISE_OPEN_FILES, 'sh', process.execPath, ...(options.execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const info = await new Promise<Info>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${options.label} did not start within ${options.timeoutMs ?? 30_000} ms`));
      }, options.timeoutMs ?? 30_000);
      child.on('message', (message: RpcMessage) => {
        if (message?.rpc !== 'ready') return;
        clearTimeout(timer);
        resolve(message.info as Info);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${options.label} exited with code ${code} before it was ready`));
      });
    });
    return new RpcWorker<Info>(child, info, options.label);
  }

  /** Calls a command in the worker; rejects if it throws, exits, or takes longer than `timeoutMs`. */
  call<T = unknown>(command: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: "${command}" timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.child.send({ rpc: 'call', id, command, args } satisfies RpcRequest);
    });
  }

  /** Stops the worker: a polite disconnect first, SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
