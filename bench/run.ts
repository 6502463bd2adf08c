/**
 * `npm run bench [-- --quick] [-- --only=id,id] [-- --scenarios=fanout,single,idle,churn,redis] [-- --out=DIR] [-- --profile=DIR] [-- --redis-url=URL]`:
 * measures every competitor on this machine in one run, one server process at a time, with the
 * clients in a separate process, and writes results.json, results.md and chart.svg to
 * bench/results/ (a `--quick` run writes to bench/results/raw/quick/, which git ignores).
 * The `redis` scenario (one in-process instance against two instances through Redis) runs once,
 * not per competitor, on `--redis-url` (else REDIS_URL, else 127.0.0.1:6379); it is skipped, with
 * a note, when Redis cannot be reached.
 * `node dist/bench/run.js --render=bench/results/results.json` rewrites the markdown and chart from a saved run.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL_CONFIG, QUICK_CONFIG, type BenchConfig } from './bench-config.js';
import { COMPETITORS, RAW_ID, type Competitor } from './competitors.js';
import { machineInfo, sampleBackgroundCpu } from './machine.js';
import { writeReport, type BenchRun, type CompetitorResults, type RedisScenarioOutcome } from './report.js';
import { runChurn } from './scenarios/churn.scenario.js';
import { runFanout } from './scenarios/fanout.scenario.js';
import { runIdle } from './scenarios/idle.scenario.js';
import { DEFAULT_SCALE_STEPS, runScale } from './scenarios/scale.scenario.js';
import { runPublish } from './scenarios/publish.scenario.js';
import { DEFAULT_BENCH_REDIS_URL, runRedisScaleOut } from './scenarios/redis.scenario.js';
import { runSingleStream } from './scenarios/single-stream.scenario.js';

const SCENARIOS = ['fanout', 'single', 'idle', 'churn', 'publish', 'redis', 'scale'] as const;
/** Run only when asked for (`--scenarios=scale`): minutes per competitor. */
const ON_REQUEST: readonly string[] = ['scale'];
type Scenario = (typeof SCENARIOS)[number];

/** `--scale-steps=10000,20000`: the scale scenario's stream counts. */
function scaleSteps(): number[] {
  const steps = readList('scale-steps')?.map(Number);
  if (steps?.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error('--scale-steps: positive integers, e.g. --scale-steps=10000,20000');
  return steps ?? DEFAULT_SCALE_STEPS;
}

function readList(name: string): string[] | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg
    ? arg
        .slice(name.length + 3)
        .split(',')
        .filter(Boolean)
    : undefined;
}

/** The repository root: the nearest folder above this file whose package.json is this package's. */
function repositoryRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'nest-event-stream') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The command as the user typed it (through npm or node). */
function commandLine(root: string): string {
  const args = process.argv.slice(2);
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  return ['node', path.relative(root, process.argv[1] ?? 'run.js'), ...args].join(' ');
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
}

/** `--render=results.json`: writes results.md and chart.svg again from a saved run (no measuring). */
function rerender(file: string): void {
  const run = JSON.parse(readFileSync(file, 'utf8')) as BenchRun;
  const files = writeReport(run, path.dirname(path.resolve(file)));
  console.log(`rendered ${files.map((f) => path.relative(process.cwd(), f)).join(', ')} from ${file}`);
}

async function main() {
  const render = process.argv.find((a) => a.startsWith('--render='))?.slice('--render='.length);
  if (render) return rerender(render);
  const config: BenchConfig = process.argv.includes('--quick') ? QUICK_CONFIG : FULL_CONFIG;
  const only = readList('only');
  const competitors: Competitor[] = only ? COMPETITORS.filter((c) => only.includes(c.id)) : [...COMPETITORS];
  const unknown = readList('scenarios')?.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown?.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; one of ${SCENARIOS.join(', ')}`);
  const scenarios = (readList('scenarios') ?? SCENARIOS.filter((s) => !ON_REQUEST.includes(s))) as Scenario[];
  const root = repositoryRoot();
  const outDir = path.resolve(
    process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ??
      path.join(
        root,
        config.mode === 'quick'
          ? 'bench/results/raw/quick'
          : scenarios.every((s) => s === 'scale')
            ? 'bench/results/scale'
            : 'bench/results',
      ),
  );
  const machine = machineInfo();
  const startedAt = new Date();
  const started = performance.now();
  const backgroundCpuPercent = await sampleBackgroundCpu(2_000);
  machine.backgroundCpuPercent = backgroundCpuPercent;
  console.log(
    `bench (${config.mode}): ${competitors.map((c) => c.id).join(', ')} × ${scenarios.join(', ')} on ${machine.cores} × ${machine.cpuModel}, Node.js ${machine.node}`,
  );

  const results: Record<string, CompetitorResults> = {};
  for (const competitor of competitors) results[competitor.id] = { fanout: [], errors: {} };
  const notes: string[] = [];
  let redis: RedisScenarioOutcome | undefined;
  // Scenario by scenario, every competitor in turn: a change in the machine's background load
  // then hits all competitors of a scenario alike rather than one competitor's every scenario.
  for (const scenario of scenarios) {
    if (scenario === 'redis') {
      redis = await runRedisScenario(config, notes);
      continue;
    }
    const runs: Array<[string, (c: Competitor) => Promise<void>]> =
      scenario === 'fanout'
        ? config.fanout.clients.map((n) => [
            `fanout ${n}`,
            async (c) => {
              results[c.id]!.fanout.push(await runFanout(c, config, n));
            },
          ])
        : [
            [
              scenario,
              async (c) => {
                const r = results[c.id]!;
                if (scenario === 'single') r.single = await runSingleStream(c, config);
                if (scenario === 'idle') r.idle = await runIdle(c, config);
                if (scenario === 'churn') r.churn = await runChurn(c, config);
                if (scenario === 'publish') r.publish = await runPublish(c, config);
                if (scenario === 'scale') r.scale = await runScale(c, scaleSteps(), config.connectConcurrency);
              },
            ],
          ];
    for (const [name, body] of runs) {
      for (const competitor of competitors) {
        const t = performance.now();
        try {
          await body(competitor);
          const r = results[competitor.id]!;
          const value = scenario === 'fanout' ? r.fanout.at(-1) : r[scenario];
          console.log(
            `${name.padEnd(11)} ${competitor.id.padEnd(26)} ${String(Math.round(performance.now() - t)).padStart(6)} ms  ${JSON.stringify(value)}`,
          );
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          results[competitor.id]!.errors[name] = message;
          console.error(`${name.padEnd(11)} ${competitor.id.padEnd(26)} FAILED: ${message}`);
        }
      }
    }
  }

  machine.loadAvgEnd = os.loadavg()[0]!;
  const others = [
    ...competitors.flatMap((c) => results[c.id]!.fanout),
    ...(redis && 'inProcess' in redis ? [redis.inProcess, redis.twoInstances] : []),
  ].flatMap((f) => [f.saturation.otherCpuPercent, f.fixedRate.otherCpuPercent]);
  const otherCpuPercentMean = others.length ? others.reduce((a, b) => a + b, 0) / others.length : NaN;
  if (machine.cores <= 2) {
    notes.push(
      `This machine has ${machine.cores} cores: server and client processes share them, so absolute numbers are low and a fast server can be held back by the client process (see "Client CPU %" in the details). Compare ratios, not absolute numbers.`,
    );
  }
  if (otherCpuPercentMean > 10 || backgroundCpuPercent > 25) {
    notes.push(
      `The machine was shared with other work: before the run other processes kept ${backgroundCpuPercent.toFixed(0)} % of a core busy, and ${otherCpuPercentMean.toFixed(0)} % on average during the fan-out windows (column "Other load %"). Absolute numbers are noisy; ratios are measured minutes apart in the same run and are more telling, but treat differences under about 20 % as noise.`,
    );
  }
  const clientBound = competitors.filter((c) => results[c.id]!.fanout.some((f) => f.saturation.clientCpuPercent > 85));
  if (clientBound.length) {
    notes.push(
      `The client process was near a full core during the saturation window for ${clientBound.map((c) => c.label).join(', ')}: those throughput numbers may be the client's limit, not the server's (the real gap to slower servers is then larger). Median client CPU over all saturation windows: ${median(competitors.flatMap((c) => results[c.id]!.fanout.map((f) => f.saturation.clientCpuPercent))).toFixed(0)} %.`,
    );
  }
  const run: BenchRun = {
    date: startedAt.toISOString(),
    command: commandLine(root),
    mode: config.mode,
    durationSec: (performance.now() - started) / 1000,
    machine,
    config,
    baseline: RAW_ID,
    competitors,
    results,
    otherCpuPercentMean,
    notes,
    ...(redis && { redis }),
  };
  const files = writeReport(run, outDir);
  console.log(`done in ${run.durationSec.toFixed(0)} s; wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  if (Object.values(results).some((r) => Object.keys(r.errors).length > 0) || (redis && 'error' in redis)) process.exitCode = 1;
}

/** The Redis scale-out scenario, once (it is not per competitor); a note when it could not run. */
async function runRedisScenario(config: BenchConfig, notes: string[]): Promise<RedisScenarioOutcome> {
  const url =
    process.argv.find((a) => a.startsWith('--redis-url='))?.slice('--redis-url='.length) ??
    process.env.REDIS_URL ??
    DEFAULT_BENCH_REDIS_URL;
  const t = performance.now();
  try {
    const outcome = await runRedisScaleOut(config, url);
    const took = String(Math.round(performance.now() - t)).padStart(6);
    if ('skipped' in outcome) {
      console.log(`${'redis'.padEnd(11)} ${'(scale-out)'.padEnd(26)} ${took} ms  skipped: ${outcome.skipped}`);
      notes.push(`The Redis scale-out scenario was skipped: ${outcome.skipped}. Start Redis (or pass --redis-url / REDIS_URL) to run it.`);
      return outcome;
    }
    console.log(
      `${'redis'.padEnd(11)} ${'(scale-out)'.padEnd(26)} ${took} ms  throughput ${outcome.throughputRatio.toFixed(2)}× in-process, p99 ${outcome.p99Ratio.toFixed(2)}× ` +
        JSON.stringify({ inProcess: outcome.inProcess, twoInstances: outcome.twoInstances }),
    );
    return outcome;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`${'redis'.padEnd(11)} ${'(scale-out)'.padEnd(26)} FAILED: ${message}`);
    return { error: message };
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
