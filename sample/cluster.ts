/**
 * `npm run start:cluster`: two instances of the sample on one Redis, as child processes: [a] on PORT
 * (default 3000) and [b] on PORT+1, both with REDIS_URL (default redis://127.0.0.1:6379) and the same
 * REDIS_KEY_PREFIX. Their logs come out prefixed with [a] and [b]. Ctrl-C (SIGINT) or SIGTERM is passed
 * on to both; this process exits when both have, and stops the other when one of them fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { redactRedisUrl } from './sample-hub.js';
import { DEFAULT_SAMPLE_OPTIONS } from './sample-options.js';

const basePort = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65534) {
  console.error(`PORT is "${process.env.PORT}"; use a port number (the instances take PORT and PORT+1).`);
  process.exit(1);
}
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const keyPrefix = process.env.REDIS_KEY_PREFIX || DEFAULT_SAMPLE_OPTIONS.redisKeyPrefix;
const main = fileURLToPath(new URL('./main.js', import.meta.url));

interface Instance {
  name: string;
  port: number;
  child: ChildProcess;
  ready: boolean;
  exited: boolean;
}

let stopping = false;
let exitCode = 0;

const instances: Instance[] = ['a', 'b'].map((name, i) => {
  const port = basePort + i;
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const instance: Instance = { name, port, child, ready: false, exited: false };
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    createInterface({ input: stream }).on('line', (line) => {
      out.write(`[${name}] ${line}\n`);
      if (!instance.ready && line.includes('Sample running at')) {
        instance.ready = true;
        if (instances.every((each) => each.ready)) announce();
      }
    });
  }
  child.on('exit', (code, signal) => {
    instance.exited = true;
    if (!stopping) {
      // One instance failed (Redis unreachable, port taken...): stop the other rather than run half a cluster.
      console.error(`[${name}] exited (${signal ?? `code ${code}`}); stopping the other instance.`);
      exitCode = 1;
      stop('SIGTERM');
    } else {
      console.log(`[${name}] stopped${code ? ` (code ${code})` : ''}.`);
      if (code) exitCode = code;
    }
    if (instances.every((each) => each.exited)) process.exit(exitCode);
  });
  return instance;
});

function announce(): void {
  console.log(
    [
      '',
      `Two sample instances share one hub on Redis at ${redactRedisUrl(redisUrl)} (prefix ${keyPrefix}):`,
      ...instances.map(({ name, port }) => `  [${name}] http://localhost:${port}`),
      `Open http://localhost:${instances[0].port}/?user=alice and http://localhost:${instances[1].port}/?user=bob side by side:`,
      'chat and notifications sent on one show up on the other. Ctrl-C stops both.',
      '',
    ].join('\n'),
  );
}

/** Passes a signal on to the instances still running; a second Ctrl-C kills them. */
function stop(signal: NodeJS.Signals): void {
  const force = stopping && signal !== 'SIGTERM';
  stopping = true;
  for (const { child, exited } of instances) if (!exited) child.kill(force ? 'SIGKILL' : signal);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(signal));
