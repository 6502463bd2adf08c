/**
 * One sampler for every metrics tile: a single timer (running only while a tile is open) takes a
 * snapshot per interval and every open stream shares it; a tile that opens gets the latest at once.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { map, ReplaySubject, share, timer, type Observable } from 'rxjs';
import { SAMPLE_OPTIONS, type SampleOptions } from '../sample-options.js';
import { StreamStatsService } from '../stats/stream-stats.service.js';

/** `data` of a `metrics` event. */
export interface MetricsSnapshot {
  /** Counts up from 1 while the sampler runs. */
  tick: number;
  at: number;
  uptimeS: number;
  /** Process CPU time over the last interval, as % of one core. */
  cpuPercent: number;
  rssMb: number;
  heapUsedMb: number;
  /** Event-loop delay over the last interval, 99th percentile. */
  eventLoopDelayMs: number;
  openStreams: number;
  cleanUpRuns: number;
}

const MB = 1024 * 1024;
const DELAY_RESOLUTION_MS = 10;
const round1 = (n: number): number => Math.round(n * 10) / 10;

@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly snapshots$: Observable<MetricsSnapshot>;
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(
    @Inject(SAMPLE_OPTIONS) options: SampleOptions,
    private readonly stats: StreamStatsService,
  ) {
    this.snapshots$ = timer(0, options.metricsIntervalMs).pipe(
      map((n) => this.sample(n + 1)),
      share({ connector: () => new ReplaySubject<MetricsSnapshot>(1), resetOnRefCountZero: true }),
    );
    this.delay.enable();
  }

  onModuleDestroy(): void {
    this.delay.disable();
  }

  private sample(tick: number): MetricsSnapshot {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMs = Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const memory = process.memoryUsage();
    // The histogram records whole timer periods: the delay is what exceeds the resolution.
    const delayMs = this.delay.count > 0 ? Math.max(0, this.delay.percentile(99) / 1e6 - DELAY_RESOLUTION_MS) : 0;
    this.delay.reset();
    return {
      tick,
      at: Date.now(),
      uptimeS: Math.round(process.uptime()),
      cpuPercent: round1(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100),
      rssMb: round1(memory.rss / MB),
      heapUsedMb: round1(memory.heapUsed / MB),
      eventLoopDelayMs: round1(delayMs),
      openStreams: this.stats.openStreams,
      cleanUpRuns: this.stats.cleanUpRuns,
    };
  }
}
