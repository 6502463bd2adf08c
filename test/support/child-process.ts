/** Stopping the app processes a test spawned. */
import type { ChildProcess } from 'node:child_process';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** SIGTERM (SIGKILL after 5 s); resolves with how it exited. */
export async function stopChild(child: ChildProcess): Promise<ChildExit> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = new Promise<ChildExit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  const how = await exited;
  clearTimeout(timer);
  return how;
}
