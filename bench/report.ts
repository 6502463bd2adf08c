/**
 * Turns one run into bench/results/{results.json,results.md,chart.svg}. Every ratio divides by
 * the raw node:http writer measured in the same run, on the same machine, minutes apart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchConfig } from './bench-config.js';
import { BUILTIN_ID, FLOOR_EXPRESS_ID, FLOOR_FASTIFY_ID, type Competitor } from './competitors.js';
import type { MachineInfo } from './machine.js';
import type { ChurnResult } from './scenarios/churn.scenario.js';
import type { FanoutResult, FanoutWindow } from './scenarios/fanout.scenario.js';
import type { IdleResult } from './scenarios/idle.scenario.js';
import type { PublishResult } from './scenarios/publish.scenario.js';
import type { ScaleResult } from './scenarios/scale.scenario.js';
import { REDIS_TARGETS, type RedisScaleOutResult, type RedisScaleOutSkipped, type ScaleOutSide } from './scenarios/redis.scenario.js';
import type { SingleStreamResult } from './scenarios/single-stream.scenario.js';

export interface CompetitorResults {
  fanout: FanoutResult[];
  single?: SingleStreamResult;
  idle?: IdleResult;
  churn?: ChurnResult;
  publish?: PublishResult;
  /** `--scenarios=scale` only. */
  scale?: ScaleResult;
  /** Scenarios that failed for this competitor, with the error. */
  errors: Record<string, string>;
}

/** The Redis scale-out scenario: its result, why it was skipped, or how it failed. */
export type RedisScenarioOutcome = RedisScaleOutResult | RedisScaleOutSkipped | { error: string };

export interface BenchRun {
  date: string;
  command: string;
  mode: BenchConfig['mode'];
  durationSec: number;
  machine: MachineInfo;
  config: BenchConfig;
  baseline: string;
  competitors: Competitor[];
  results: Record<string, CompetitorResults>;
  /** Mean CPU of other processes (not server, not client) over the measurement windows, % of one core. */
  otherCpuPercentMean: number;
  notes: string[];
  /** The `redis` scenario (absent when it was not asked for). */
  redis?: RedisScenarioOutcome;
}

type Direction = 'higher' | 'lower';

interface Metric {
  key: string;
  label: string;
  unit: string;
  better: Direction;
  get: (r: CompetitorResults) => number | undefined;
  format: (value: number) => string;
}

const int = (v: number) => Math.round(v).toLocaleString('en-US');
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const kib = (v: number) => (v / 1024).toFixed(1);

function fanoutAt(r: CompetitorResults, clients: number): FanoutResult | undefined {
  return r.fanout.find((f) => f.clients === clients);
}

function fanoutMetrics(clients: number[]): Metric[] {
  const metrics: Metric[] = [];
  for (const n of clients) {
    const label = n.toLocaleString('en-US');
    const window = (pick: (f: FanoutResult) => FanoutWindow) => (r: CompetitorResults) => {
      const f = fanoutAt(r, n);
      return f ? pick(f) : undefined;
    };
    metrics.push(
      {
        key: `fanout${n}.delivered`,
        label: `Fan-out ${label}: events/s delivered`,
        unit: '/s',
        better: 'higher',
        get: (r) => window((f) => f.saturation)(r)?.deliveredPerSec,
        format: int,
      },
      {
        key: `fanout${n}.p50`,
        label: `Fan-out ${label}: p50 latency`,
        unit: 'ms',
        better: 'lower',
        get: (r) => window((f) => f.fixedRate)(r)?.p50Ms,
        format: ms,
      },
      {
        key: `fanout${n}.p99`,
        label: `Fan-out ${label}: p99 latency`,
        unit: 'ms',
        better: 'lower',
        get: (r) => window((f) => f.fixedRate)(r)?.p99Ms,
        format: ms,
      },
      {
        key: `fanout${n}.cpu`,
        label: `Fan-out ${label}: server CPU per 1k events`,
        unit: 'ms',
        better: 'lower',
        get: (r) => window((f) => f.fixedRate)(r)?.cpuMsPer1kEvents,
        format: (v) => v.toFixed(2),
      },
    );
  }
  return metrics;
}

const OTHER_METRICS: Metric[] = [
  {
    key: 'single',
    label: 'Single stream: events/s',
    unit: '/s',
    better: 'higher',
    get: (r) => r.single?.eventsPerSec,
    format: int,
  },
  {
    key: 'idle.rss',
    label: 'Idle: RSS per connection',
    unit: 'KiB',
    better: 'lower',
    get: (r) => r.idle?.rssPerConnectionBytes,
    format: kib,
  },
  {
    key: 'idle.heap',
    label: 'Idle: JS heap per connection',
    unit: 'KiB',
    better: 'lower',
    get: (r) => r.idle?.heapPerConnectionBytes,
    format: kib,
  },
  {
    key: 'idle.cpu',
    label: 'Idle: heartbeat CPU',
    unit: '%',
    better: 'lower',
    get: (r) => r.idle?.heartbeatCpuPercent,
    format: (v) => v.toFixed(2),
  },
  {
    key: 'churn',
    label: 'Churn: connect+close cycles/s',
    unit: '/s',
    better: 'higher',
    get: (r) => r.churn?.cyclesPerSec,
    format: int,
  },
  {
    key: 'publish',
    label: 'Publish → 1 subscriber: events/s',
    unit: '/s',
    better: 'higher',
    get: (r) => r.publish?.eventsPerSec,
    format: int,
  },
  {
    key: 'publish.cpu',
    label: 'Publish: server CPU per event',
    unit: 'µs',
    better: 'lower',
    get: (r) => r.publish?.cpuMicrosPerEvent,
    format: (v) => v.toFixed(2),
  },
];

/** Issue 18: our cost as the difference from the floor (Nest + platform, no library) and the ratio to it. */
function floorSection(run: BenchRun): string[] {
  const pairs: Array<[string, string, string]> = [
    ['Express', 'nest-event-stream-express', FLOOR_EXPRESS_ID],
    ['Fastify', 'nest-event-stream-fastify', FLOOR_FASTIFY_ID],
  ];
  const present = pairs.filter(([, ours, floor]) => run.results[ours] && run.results[floor]);
  if (present.length === 0) return [];
  const raw = run.results[run.baseline];
  const lines = [
    '## Our own cost: the difference from the floor',
    '',
    'The floor is Nest and the platform with no SSE library: a `@Get()` route that takes `@Res()`, writes the SSE head and keeps the ' +
      'raw response, with broadcasts and heartbeats written like the raw writer. The difference between it and us is what the library itself costs.',
    '',
    `| | ${present.map(([p]) => `${p}: floor`).join(' | ')} | ${present.map(([p]) => `${p}: us`).join(' | ')} | ${present.map(([p]) => `${p}: us − floor`).join(' | ')} | ${present.map(([p]) => `${p}: us ÷ floor`).join(' | ')} |`,
    `|---|${Array.from({ length: 4 * present.length }, () => '---:').join('|')}|`,
  ];
  const rows: Array<[string, (r: CompetitorResults) => number | undefined, (v: number) => string, (d: number) => string]> = [
    ['Idle RSS per stream (KiB)', (r) => r.idle?.rssPerConnectionBytes, kib, (d) => `${d >= 0 ? '+' : ''}${kib(d)} KiB`],
    ['Idle JS heap per stream (KiB)', (r) => r.idle?.heapPerConnectionBytes, kib, (d) => `${d >= 0 ? '+' : ''}${kib(d)} KiB`],
    [
      'Heartbeat CPU at idle (% of a core)',
      (r) => r.idle?.heartbeatCpuPercent,
      (v) => v.toFixed(2),
      (d) => `${d >= 0 ? '+' : ''}${d.toFixed(2)}`,
    ],
    ['Churn (cycles/s)', (r) => r.churn?.cyclesPerSec, int, (d) => `${d >= 0 ? '+' : ''}${int(d)}/s`],
    ['Publish → 1 subscriber (events/s)', (r) => r.publish?.eventsPerSec, int, (d) => `${d >= 0 ? '+' : ''}${int(d)}/s`],
    [
      'Publish: server CPU per event (µs)',
      (r) => r.publish?.cpuMicrosPerEvent,
      (v) => v.toFixed(2),
      (d) => `${d >= 0 ? '+' : ''}${d.toFixed(2)} µs`,
    ],
  ];
  for (const [label, get, format, diff] of rows) {
    const floors = present.map(([, , floor]) => get(run.results[floor]!));
    const ours = present.map(([, id]) => get(run.results[id]!));
    const show = (v: number | undefined) => (v === undefined ? '–' : format(v));
    lines.push(
      `| ${label} | ${floors.map(show).join(' | ')} | ${ours.map(show).join(' | ')} | ${ours
        .map((v, i) => (v === undefined || floors[i] === undefined ? '–' : diff(v - floors[i]!)))
        .join(' | ')} | ${ours.map((v, i) => formatRatio(ratio(v, floors[i]))).join(' | ')} |`,
    );
  }
  lines.push('', '| Issue 18 target | ' + present.map(([p]) => p).join(' | ') + ' |', `|---|${present.map(() => '---|').join('')}`);
  const check = (
    label: string,
    compute: (ours: CompetitorResults, floor: CompetitorResults) => { shown: string; ok: boolean } | undefined,
  ) => {
    const cells = present.map(([, id, floor]) => {
      const c = compute(run.results[id]!, run.results[floor]!);
      return c ? `${c.ok ? '✅' : '❌'} ${c.shown}` : '–';
    });
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  };
  const overFloor = (get: (r: CompetitorResults) => number | undefined) => (ours: CompetitorResults, floor: CompetitorResults) => {
    const a = get(ours);
    const b = get(floor);
    if (a === undefined || b === undefined) return undefined;
    return { shown: `${a - b >= 0 ? '+' : ''}${((a - b) / 1000).toFixed(2)} KB`, ok: a - b <= 2000 };
  };
  const atLeast =
    (get: (r: CompetitorResults) => number | undefined, min: number) => (ours: CompetitorResults, floor: CompetitorResults) => {
      const v = ratio(get(ours), get(floor));
      return v === undefined ? undefined : { shown: formatRatio(v), ok: v >= min };
    };
  check(
    'Idle JS heap per stream ≤ floor + 2 KB',
    overFloor((r) => r.idle?.heapPerConnectionBytes),
  );
  check(
    'Idle RSS per stream ≤ floor + 2 KB',
    overFloor((r) => r.idle?.rssPerConnectionBytes),
  );
  check(
    'Churn ≥ 0.9× floor',
    atLeast((r) => r.churn?.cyclesPerSec, 0.9),
  );
  check(
    'Hub publish → 1 subscriber ≥ 0.8× floor',
    atLeast((r) => r.publish?.eventsPerSec, 0.8),
  );
  if (raw) {
    lines.push(
      '',
      `Against the raw \`node:http\` writer: ${present
        .map(
          ([p, id]) =>
            `${p} idle heap ${formatRatio(ratio(run.results[id]!.idle?.heapPerConnectionBytes, raw.idle?.heapPerConnectionBytes))}, churn ${formatRatio(ratio(run.results[id]!.churn?.cyclesPerSec, raw.churn?.cyclesPerSec))}, publish ${formatRatio(ratio(run.results[id]!.publish?.eventsPerSec, raw.publish?.eventsPerSec))}`,
        )
        .join('; ')} (the floors: ${present
        .map(
          ([p, , floor]) =>
            `${p} idle heap ${formatRatio(ratio(run.results[floor]!.idle?.heapPerConnectionBytes, raw.idle?.heapPerConnectionBytes))}, churn ${formatRatio(ratio(run.results[floor]!.churn?.cyclesPerSec, raw.churn?.cyclesPerSec))}, publish ${formatRatio(ratio(run.results[floor]!.publish?.eventsPerSec, raw.publish?.eventsPerSec))}`,
        )
        .join('; ')}).`,
    );
  }
  lines.push('');
  return lines;
}

/** `--scenarios=scale`: idle streams step by step with the default heartbeat. */
function scaleSection(run: BenchRun): string[] {
  const measured = run.competitors.filter((c) => run.results[c.id]?.scale);
  if (measured.length === 0) return [];
  const lines = [
    '## Scale: idle streams step by step (15 s heartbeat)',
    '',
    'Streams added step by step to one server process; at each step, server memory after a full GC per stream (against before the first ' +
      "stream) and server CPU over two heartbeat intervals (2 × 15 s, the default; two, so that every competitor's window holds one of the " +
      "HTTP server's 30 s walks over its connections). Flat columns mean a linear cost.",
    '',
    '| Competitor | Streams | Connect ms | RSS per stream | JS heap per stream | Heartbeat CPU % of a core (user part) | CPU % per 10,000 streams |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const skipped = new Set<string>();
  for (const c of measured) {
    const scale = run.results[c.id]!.scale!;
    if (scale.skipped) skipped.add(scale.skipped);
    for (const s of scale.steps) {
      lines.push(
        `| ${c.label} | ${int(s.streams)} | ${int(s.connectMs)} | ${kib(s.rssPerStreamBytes)} KiB | ${kib(s.heapPerStreamBytes)} KiB | ${s.heartbeatCpuPercent.toFixed(2)} (${s.heartbeatUserCpuPercent?.toFixed(2) ?? '–'}) | ${s.heartbeatCpuPercentPer10k.toFixed(3)} |`,
      );
    }
  }
  lines.push('', ...[...skipped].map((s) => `> Steps left out: ${s}.`), '');
  return lines;
}

function ratio(value: number | undefined, base: number | undefined): number | undefined {
  if (value === undefined || base === undefined || !Number.isFinite(value) || !Number.isFinite(base) || base === 0) return undefined;
  return value / base;
}

const formatRatio = (r: number | undefined) => (r === undefined ? '–' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`);

/** The scenario a metric comes from, as `errors` names it (`fanout 1000`, `single`, `idle`, `churn`). */
function scenarioOf(metric: Metric): string {
  const fanout = /^fanout(\d+)\./.exec(metric.key);
  return fanout ? `fanout ${fanout[1]}` : metric.key.split('.')[0]!;
}

function cell(metric: Metric, results: CompetitorResults, base: CompetitorResults | undefined): string {
  const value = metric.get(results);
  // Not measured at all (a run of other scenarios, `--scenarios=redis`) is not a failure.
  if (value === undefined) return results.errors[scenarioOf(metric)] !== undefined ? 'failed' : '–';
  if (!Number.isFinite(value)) return 'failed';
  const r = ratio(value, base ? metric.get(base) : undefined);
  return `**${formatRatio(r)}** (${metric.format(value)}${metric.unit === '/s' ? '/s' : ` ${metric.unit}`})`;
}

function table(run: BenchRun, metrics: Metric[]): string {
  const base = run.results[run.baseline];
  const head = `| | ${metrics.map((m) => `${m.label} (${m.better} is better)`).join(' | ')} |`;
  const rule = `|---|${metrics.map(() => '---:').join('|')}|`;
  const rows = run.competitors.map((c) => `| ${c.label} | ${metrics.map((m) => cell(m, run.results[c.id]!, base)).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

/** The targets of issue 7, checked against Nest's built-in `@Sse` and the raw writer. */
function targets(run: BenchRun): string[] {
  const builtin = run.results[BUILTIN_ID];
  const raw = run.results[run.baseline];
  if (!builtin || !raw) return [];
  const lines: string[] = ['| Target | Express | Fastify |', '|---|---|---|'];
  const ours = ['nest-event-stream-express', 'nest-event-stream-fastify'].map((id) => run.results[id]);
  const n = 1_000;
  const check = (label: string, compute: (r: CompetitorResults) => { value: number | undefined; ok: boolean }) => {
    const cells = ours.map((r) => {
      if (!r) return '–';
      const { value, ok } = compute(r);
      return value === undefined ? 'failed' : `${ok ? '✅' : '❌'} ${formatRatio(value)}`;
    });
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  };
  const delivered = (r: CompetitorResults) => fanoutAt(r, n)?.saturation.deliveredPerSec;
  const p99 = (r: CompetitorResults) => fanoutAt(r, n)?.fixedRate.p99Ms;
  check('Fan-out 1,000 events/s ≥ 3× built-in', (r) => {
    const v = ratio(delivered(r), delivered(builtin));
    return { value: v, ok: v !== undefined && v >= 3 };
  });
  check('Fan-out 1,000 events/s ≥ 0.8× raw writer', (r) => {
    const v = ratio(delivered(r), delivered(raw));
    return { value: v, ok: v !== undefined && v >= 0.8 };
  });
  check('Fan-out 1,000 p99 latency ≤ built-in (ratio to built-in)', (r) => {
    const v = ratio(p99(r), p99(builtin));
    return { value: v, ok: v !== undefined && v <= 1 };
  });
  check('Idle RSS per connection ≤ built-in (ratio to built-in)', (r) => {
    const v = ratio(r.idle?.rssPerConnectionBytes, builtin.idle?.rssPerConnectionBytes);
    return { value: v, ok: v !== undefined && v <= 1 };
  });
  check('Single stream events/s ≥ 2× built-in', (r) => {
    const v = ratio(r.single?.eventsPerSec, builtin.single?.eventsPerSec);
    return { value: v, ok: v !== undefined && v >= 2 };
  });
  return lines;
}

/** Two instances through Redis against one in-process instance: its own baseline, not the raw writer. */
function redisSection(run: BenchRun): string[] {
  const outcome = run.redis;
  if (!outcome) return [];
  const title = '## Scale-out: two instances through Redis';
  if ('skipped' in outcome) return [title, '', `Skipped: ${outcome.skipped}.`, ''];
  if ('error' in outcome) return [title, '', `Failed: \`${outcome.error.split('\n')[0]}\``, ''];
  const r = outcome;
  const n = int(r.clients);
  const base = r.inProcess;
  const sides: Array<[string, ScaleOutSide]> = [
    ['In-process hub (baseline)', r.inProcess],
    ['Through Redis', r.twoInstances],
  ];
  const withRatio = (value: number, baseValue: number, format: (v: number) => string, unit: string) =>
    `**${formatRatio(ratio(value, baseValue))}** (${format(value)}${unit})`;
  const cpuEach = (w: FanoutWindow) =>
    w.serverCpuPercentEach
      ? `${w.serverCpuPercent.toFixed(0)} (${w.serverCpuPercentEach.map((c) => c.toFixed(0)).join(' + ')})`
      : w.serverCpuPercent.toFixed(0);
  const summary = sides.map(
    ([label, s]) =>
      `| ${label} | ${s.instances} × ${int(s.clients / s.instances)} | ${withRatio(s.saturation.deliveredPerSec, base.saturation.deliveredPerSec, int, '/s')} | ` +
      `${withRatio(s.fixedRate.p50Ms, base.fixedRate.p50Ms, ms, ' ms')} | ${withRatio(s.fixedRate.p99Ms, base.fixedRate.p99Ms, ms, ' ms')} | ` +
      `${cpuEach(s.saturation)} | ${s.saturation.redisCpuPercent?.toFixed(0) ?? '–'} | ${s.fixedRate.cpuMsPer1kEvents.toFixed(2)} |`,
  );
  const details = sides.flatMap(([label, s]) =>
    (
      [
        ['saturation', s.saturation],
        ['fixed rate', s.fixedRate],
      ] as const
    ).map(
      ([phase, w]) =>
        `| ${label} | ${phase} | ${int(w.offeredPerSec)} | ${w.publishedPerSec.toFixed(1)} | ${int(w.deliveredPerSec)} | ${w.deliveredShare.toFixed(3)} | ` +
        `${ms(w.p50Ms)} | ${ms(w.p99Ms)} | ${ms(w.maxMs)} | ${cpuEach(w)} | ${w.redisCpuPercent?.toFixed(0) ?? '–'} | ${w.clientCpuPercent.toFixed(0)} | ${w.otherCpuPercent.toFixed(0)} | ${w.droppedByServer} |`,
    ),
  );
  const throughputOk = r.throughputRatio >= REDIS_TARGETS.minThroughputRatio;
  const p99Ok = r.p99Ratio <= REDIS_TARGETS.maxP99Ratio;
  return [
    title,
    '',
    `Baseline: one instance of this project's Express app with the in-process hub and ${n} clients (as in the fan-out table). ` +
      `Against it: two instances of the same app in separate processes sharing one hub through Redis ${r.redis.version} at \`${r.redis.url}\` ` +
      `(\`RedisHubStore\` + \`RedisHubTransport\` on one key prefix), ${int(r.clients / r.twoInstances.instances)} clients on each, each instance publishing half of the events; ` +
      'every event goes through Redis (one EVAL per publish: XADD, trims, PUBLISH) and every instance receives and decodes each one once. ' +
      'Same client process, publisher and phases as the fan-out table: events/s in the saturation phase, latency and CPU per 1k events at the fixed rate. ' +
      '**Ratios are Redis / in-process**, measured minutes apart in this run. Server CPU is the sum over the instances (each in parentheses); ' +
      'redis-server CPU comes from its `INFO cpu`; both in % of one core.',
    '',
    '| | Instances × clients | Events/s delivered (higher is better) | p50 latency | p99 latency (lower is better) | Server CPU % (saturation) | redis-server CPU % (saturation) | Server CPU ms per 1k events (fixed rate) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...summary,
    '',
    '| Target | Result |',
    '|---|---|',
    `| Throughput through Redis ≥ ${REDIS_TARGETS.minThroughputRatio}× in-process | ${throughputOk ? '✅' : '❌'} ${formatRatio(r.throughputRatio)} |`,
    `| p99 latency through Redis ≤ ${REDIS_TARGETS.maxP99Ratio}× in-process | ${p99Ok ? '✅' : '❌'} ${formatRatio(r.p99Ratio)} |`,
    '',
    ...(r.scripts
      ? [
          `redis-server ran ${int(r.scripts.calls)} scripts while the two instances ran (one per publish: the append script's XADD, trims and PUBLISH), ` +
            `${r.scripts.usecPerCall.toFixed(1)} µs each on average (its \`INFO commandstats\`).`,
          '',
        ]
      : []),
    '| Setup | Phase | Offered ev/s | Published ev/s | Delivered ev/s | Delivered share | p50 ms | p99 ms | max ms | Server CPU % | redis-server CPU % | Client CPU % | Other load % | Dropped |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...details,
    '',
  ];
}

function detailTable(run: BenchRun): string {
  const lines = [
    '| Competitor | Clients | Phase | Offered ev/s | Published ev/s | Delivered ev/s | Delivered share | p50 ms | p99 ms | Server CPU % | CPU ms / 1k ev | Client CPU % | Other load % | Dropped |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of run.competitors) {
    for (const f of run.results[c.id]!.fanout) {
      for (const [phase, w] of [
        ['saturation', f.saturation],
        ['fixed rate', f.fixedRate],
      ] as const) {
        lines.push(
          `| ${c.label} | ${int(f.clients)} | ${phase} | ${int(w.offeredPerSec)} | ${w.publishedPerSec.toFixed(1)} | ${int(w.deliveredPerSec)} | ${w.deliveredShare.toFixed(3)} | ${ms(w.p50Ms)} | ${ms(w.p99Ms)} | ${w.serverCpuPercent.toFixed(0)} | ${w.cpuMsPer1kEvents.toFixed(2)} | ${w.clientCpuPercent.toFixed(0)} | ${w.otherCpuPercent.toFixed(0)} | ${w.droppedByServer} |`,
        );
      }
    }
  }
  return lines.join('\n');
}

function otherTable(run: BenchRun): string {
  const lines = [
    '| Competitor | Single: events | Single: ended cleanly | Single: server CPU % | Idle: connections | Idle: connect ms | Idle: heartbeat bytes/conn | Churn: cycles | Churn: failures | Churn: open after | Churn: teardown ms | Churn: heap growth (1st + 2nd half) | Leak? |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of run.competitors) {
    const r = run.results[c.id]!;
    const s = r.single;
    const i = r.idle;
    const ch = r.churn;
    lines.push(
      `| ${c.label} | ${s ? int(s.events) : '–'} | ${s ? (s.ended ? 'yes' : 'no') : '–'} | ${s ? s.serverCpuPercent.toFixed(0) : '–'} | ${i ? int(i.connections) : '–'} | ${i ? int(i.connectMs) : '–'} | ${i ? i.heartbeatBytesPerConnection.toFixed(0) : '–'} | ${ch ? int(ch.cycles) : '–'} | ${ch ? ch.failures : '–'} | ${ch ? ch.openAfter : '–'} | ${ch ? int(ch.teardownMs) : '–'} | ${ch ? `${ch.heapGrowthBytes.map(kib).join(' + ')} KiB (${ch.heapGrowthPerCycleBytes.toFixed(0)} B/cycle)` : '–'} | ${ch ? (ch.leaked ? '**yes**' : 'no') : '–'} |`,
    );
  }
  return lines.join('\n');
}

export function renderMarkdown(run: BenchRun): string {
  const m = run.machine;
  const fanout = fanoutMetrics(run.config.fanout.clients);
  const errors = run.competitors.flatMap((c) =>
    Object.entries(run.results[c.id]!.errors).map(([scenario, error]) => `- ${c.label}, ${scenario}: \`${error.split('\n')[0]}\``),
  );
  const f = run.config.fanout;
  return [
    `# Benchmark results (${run.mode} run)`,
    '',
    `- Date: ${run.date} (${run.durationSec.toFixed(0)} s)`,
    `- Command: \`${run.command}\``,
    `- Machine: ${m.cores} × ${m.cpuModel}${m.cpuMHz ? ` @ ${m.cpuMHz} MHz` : ''} (\`os.cpus()\`), ${m.totalMemGiB} GiB RAM, ${m.platform}, Node.js ${m.node}`,
    `- Background load: ${m.backgroundCpuPercent?.toFixed(0) ?? '?'} % of a core busy in the 2 s before the run; ${(run.otherCpuPercentMean ?? NaN).toFixed(0)} % on average during the fan-out windows (not counting server and client); load average (1 min) ${m.loadAvgStart.toFixed(2)} at start, ${m.loadAvgEnd?.toFixed(2) ?? '?'} at end`,
    '',
    `**Ratios** are against the raw \`node:http\` writer (**${run.competitors.find((c) => c.id === run.baseline)?.label}** = 1.00×) measured in the same run; raw numbers in parentheses. ` +
      'One server process at a time; the clients run in a separate process on loopback.',
    '',
    ...run.notes.map((n) => `> ${n}`),
    ...(run.notes.length ? [''] : []),
    '## Fan-out',
    '',
    `Events/s: saturation phase (each event offered to every client at ${int(f.saturationDeliveriesPerSec)} deliveries/s, far above any competitor). ` +
      `Latency and CPU per 1k events: fixed-rate phase (${int(f.fixedDeliveriesPerSec)} deliveries/s for everyone, i.e. ${f.clients.map((n) => `${Math.max(1, Math.round(f.fixedDeliveriesPerSec / n))} event/s to ${int(n)} clients`).join(', ')}).`,
    '',
    table(run, fanout),
    '',
    'Latency is publish-to-receive: the publisher stamps each event, sampled client sockets read the stamp on arrival. It includes the ' +
      "time the one client process takes to read all N sockets after a broadcast, so the raw writer's figure is close to the floor this " +
      "machine can show, and latency ratios are compressed toward 1. CPU per 1k events includes the kernel's loopback TCP work done in " +
      "the server's system time, the same for everyone.",
    '',
    '## Single stream, idle connections, churn',
    '',
    `Single stream: one client reads ${int(run.config.single.events)} small JSON events from an async generator (Nest built-in: through rxjs \`from()\`); ` +
      'events/s is counted until the last one arrives. Idle: server memory after a full GC with ' +
      `${int(run.config.idle.connections)} open streams receiving heartbeats every ${run.config.idle.heartbeatMs} ms, minus before, per stream. ` +
      `Churn: ${run.config.churn.concurrency} client loops connect, wait for the response head and close, for ${run.config.churn.durationMs / 1000} s; ` +
      'then every competitor must count 0 open streams, and the heap after GC must not keep growing from the first half of the churn to the second.',
    '',
    table(run, OTHER_METRICS),
    '',
    `Idle heartbeat CPU: server CPU over the ${run.config.idle.holdMs / 1000} s the idle streams are held. ` +
      `Publish: one client on the broadcast; the server publishes ${int(run.config.publish.events)} events in synchronous batches of ${int(run.config.publish.batch)}; ` +
      'events/s until the client has the last one (the best of a few rounds after a warm-up), and server CPU per event.',
    '',
    ...floorSection(run),
    ...scaleSection(run),
    '## Issue 7 targets (this project against Nest built-in `@Sse` and the raw writer)',
    '',
    ...targets(run),
    '',
    ...redisSection(run),
    '## Details',
    '',
    detailTable(run),
    '',
    '"Delivered share" is delivered / (published × clients) over the window: below 1 means the server fell behind; at 1 event/s a ' +
      '5 s window catches 5 or 6 broadcasts, so values up to 1.2 there are rounding.',
    '',
    otherTable(run),
    '',
    ...(errors.length ? ['## Failures', '', ...errors, ''] : []),
    '## Competitors',
    '',
    ...run.competitors.map((c) => `- **${c.label}**: ${c.description}`),
    '',
  ].join('\n');
}

/** A hand-written grouped bar chart of the ratios to the raw writer: one panel "higher is better", one "lower is better". */
export function renderSvg(run: BenchRun): string {
  const base = run.results[run.baseline];
  const n = run.config.fanout.clients[0]!;
  const nLast = run.config.fanout.clients.at(-1)!;
  const all = [...fanoutMetrics(run.config.fanout.clients), ...OTHER_METRICS];
  const pick = (keys: string[]) => keys.map((k) => all.find((m) => m.key === k)).filter((m): m is Metric => m !== undefined);
  const panels: Array<{ title: string; metrics: Metric[] }> = [
    {
      title: 'Throughput, × raw node:http (higher is better)',
      metrics: pick([`fanout${n}.delivered`, ...(nLast !== n ? [`fanout${nLast}.delivered`] : []), 'single', 'churn']),
    },
    {
      title: 'Cost and latency, × raw node:http (lower is better)',
      metrics: pick([`fanout${n}.p99`, `fanout${n}.cpu`, 'idle.rss']),
    },
  ];
  const colors = ['#2563eb', '#60a5fa', '#f97316', '#16a34a', '#6b7280', '#a855f7'];
  const barH = 14;
  const groupGap = 16;
  const labelW = 260;
  const plotW = 460;
  const width = labelW + plotW + 80;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [];
  let y = 30;
  parts.push(
    `<text x="10" y="20" font-size="15" font-weight="bold">nest-event-stream benchmarks (${run.mode} run, ${run.date.slice(0, 10)}, ${run.machine.cores} cores, Node.js ${run.machine.node})</text>`,
  );
  // Legend.
  run.competitors.forEach((c, i) => {
    const x = 10 + (i % 3) * 260;
    const ly = y + 10 + Math.floor(i / 3) * 18;
    parts.push(`<rect x="${x}" y="${ly - 10}" width="12" height="12" fill="${colors[i % colors.length]}"/>`);
    parts.push(`<text x="${x + 18}" y="${ly}" font-size="12">${esc(c.label)}</text>`);
  });
  y += 20 + Math.ceil(run.competitors.length / 3) * 18;
  for (const panel of panels) {
    y += 14;
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    y += 10;
    const ratios = panel.metrics.flatMap((m) =>
      run.competitors.map((c) => ratio(m.get(run.results[c.id]!), base ? m.get(base) : undefined) ?? 0),
    );
    const max = Math.max(1.2, ...ratios.filter(Number.isFinite));
    const scale = (v: number) => (Math.min(v, max) / max) * plotW;
    const top = y;
    for (const metric of panel.metrics) {
      parts.push(`<text x="10" y="${y + (run.competitors.length * barH) / 2 + 4}" font-size="12">${esc(metric.label)}</text>`);
      run.competitors.forEach((c, i) => {
        const r = ratio(metric.get(run.results[c.id]!), base ? metric.get(base) : undefined);
        const w = r === undefined ? 0 : Math.max(1, scale(r));
        parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${colors[i % colors.length]}"/>`);
        parts.push(`<text x="${labelW + w + 4}" y="${y + barH - 4}" font-size="10">${r === undefined ? 'n/a' : formatRatio(r)}</text>`);
        y += barH;
      });
      y += groupGap;
    }
    const oneX = labelW + scale(1);
    parts.push(
      `<line x1="${oneX.toFixed(1)}" y1="${top - 4}" x2="${oneX.toFixed(1)}" y2="${y - groupGap + 4}" stroke="#111" stroke-dasharray="3,3"/>`,
    );
    parts.push(`<text x="${(oneX - 8).toFixed(1)}" y="${top - 6}" font-size="10">1×</text>`);
  }
  y += 4;
  parts.push(
    `<text x="10" y="${y}" font-size="10" fill="#555">${esc(`Ratios to the raw node:http writer measured in the same run. Command: ${run.command}`)}</text>`,
  );
  y += 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

export function writeReport(run: BenchRun, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, 'results.json'), path.join(dir, 'results.md'), path.join(dir, 'chart.svg')];
  writeFileSync(files[0]!, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(files[1]!, renderMarkdown(run));
  writeFileSync(files[2]!, renderSvg(run));
  return files;
}
