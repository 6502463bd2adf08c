/**
 * `npm run bench [-- --quick] [-- --only=id,id] [-- --scenarios=fanout,single,idle,churn]`:
 * measures every competitor on this machine in one run, one server process at a time, and
 * writes bench/results/{results.json,results.md,chart.svg}.
 */
import os from 'node:os';
import { FULL_CONFIG, QUICK_CONFIG, type BenchConfig } from './bench-config.js';
import { COMPETITORS, type Competitor } from './competitors.js';
import { runChurn, type ChurnResult } from './scenarios/churn.scenario.js';
import { runFanout, type FanoutResult } from './scenarios/fanout.scenario.js';
import { runIdle, type IdleResult } from './scenarios/idle.scenario.js';
import { runSingleStream, type SingleStreamResult } from './scenarios/single-stream.scenario.js';

const SCENARIOS = ['fanout', 'single', 'idle', 'churn'] as const;
type Scenario = (typeof SCENARIOS)[number];

function readList(name: string): string[] | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3).split(',').filter(Boolean) : undefined;
}

async function main() {
  const config: BenchConfig = process.argv.includes('--quick') ? QUICK_CONFIG : FULL_CONFIG;
  const only = readList('only');
  const competitors: Competitor[] = only ? COMPETITORS.filter((c) => only.includes(c.id)) : [...COMPETITORS];
  const scenarios = (readList('scenarios') ?? [...SCENARIOS]) as Scenario[];
  const results: Record<string, { fanout: FanoutResult[]; single?: SingleStreamResult; idle?: IdleResult; churn?: ChurnResult }> = {};
  for (const competitor of competitors) results[competitor.id] = { fanout: [] };
  for (const scenario of scenarios) {
    for (const competitor of competitors) {
      const started = performance.now();
      const r = results[competitor.id]!;
      if (scenario === 'fanout') for (const n of config.fanout.clients) r.fanout.push(await runFanout(competitor, config, n));
      if (scenario === 'single') r.single = await runSingleStream(competitor, config);
      if (scenario === 'idle') r.idle = await runIdle(competitor, config);
      if (scenario === 'churn') r.churn = await runChurn(competitor, config);
      console.log(scenario, competitor.id, `${Math.round(performance.now() - started)} ms`, JSON.stringify(scenario === 'fanout' ? r.fanout : r[scenario]));
    }
  }
  console.log(os.cpus().length);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
