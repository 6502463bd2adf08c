/**
 * Simulated long jobs. Each job keeps every progress step it made, so a stream can replay what a
 * client missed (resume by step number) and tell when a client has seen the end.
 */
import { Inject, Injectable, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { SseHub } from '../../lib/index.js';
import type { DemoUser } from '../auth/demo-users.js';
import { notificationChannelOf, type Notification } from '../notifications/notification-channels.js';
import { SAMPLE_OPTIONS, type SampleOptions } from '../sample-options.js';

export interface JobProgress {
  jobId: string;
  /** 0 (queued) .. steps (done); also the event id on the wire. */
  step: number;
  steps: number;
  percent: number;
  message: string;
}

export interface JobRecord {
  readonly id: string;
  readonly owner: DemoUser;
  readonly label: string;
  readonly steps: number;
  /** `progress[n].step === n`. */
  readonly progress: JobProgress[];
  finished: boolean;
}

/** One event per step: `progress`, then `done` for the last one; the id is the step. */
export type JobEventEnvelope = { id: string; event: 'progress'; data: JobProgress } | { id: string; event: 'done'; data: JobProgress };

const STAGES = ['Queued', 'Fetching rows', 'Crunching numbers', 'Rendering charts', 'Compressing', 'Uploading'];
/** A finished job stays resumable (and answers 204) this long. */
const FINISHED_JOB_TTL_MS = 10 * 60_000;

@Injectable()
export class JobsService implements OnModuleDestroy {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private created = 0;

  constructor(
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
    private readonly hub: SseHub,
  ) {}

  start(owner: DemoUser): JobRecord {
    const number = ++this.created;
    const job: JobRecord = {
      id: `job-${number}-${Math.random().toString(36).slice(2, 8)}`,
      owner,
      label: `Report #${number}`,
      steps: this.options.jobSteps,
      progress: [],
      finished: false,
    };
    this.jobs.set(job.id, job);
    this.advance(job);
    return job;
  }

  /** The job, if it exists and belongs to `user` (someone else's job is "not found" too). */
  get(id: string, user: DemoUser): JobRecord {
    const job = this.jobs.get(id);
    if (!job || job.owner !== user) throw new NotFoundException(`No job ${id}.`);
    return job;
  }

  /**
   * The step a Last-Event-ID stands for: -1 (nothing seen) when absent or not a step of this
   * job, so a stranger's id replays the job from the start rather than skipping any of it.
   */
  lastSeenStep(job: JobRecord, lastEventId: string | undefined): number {
    const step = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : -1;
    return step <= job.steps ? step : -1;
  }

  /** True when the client has seen the last event of a finished job: nothing left to send. */
  fullyDelivered(job: JobRecord, lastSeenStep: number): boolean {
    return job.finished && lastSeenStep >= job.steps;
  }

  /** Every step after `lastSeenStep`, then live ones, until the job is done or `signal` aborts. */
  async *follow(job: JobRecord, lastSeenStep: number, signal: AbortSignal): AsyncGenerator<JobEventEnvelope> {
    let next = lastSeenStep + 1;
    while (!signal.aborted) {
      for (; next < job.progress.length; next++) {
        const progress = job.progress[next];
        const id = String(progress.step);
        yield progress.step === job.steps ? { id, event: 'done', data: progress } : { id, event: 'progress', data: progress };
      }
      // Returning ends the response; the EventSource reconnects with the last id and gets 204.
      if (job.finished) return;
      await this.nextStep(job, signal);
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const wake of [...this.waiters.values()].flatMap((set) => [...set])) wake();
  }

  private advance(job: JobRecord): void {
    const step = job.progress.length;
    const stage = STAGES[Math.min(STAGES.length - 1, Math.floor((step / job.steps) * STAGES.length))];
    const message = step === 0 ? 'Queued' : step === job.steps ? 'Done' : `${stage} (${step}/${job.steps})`;
    job.progress.push({ jobId: job.id, step, steps: job.steps, percent: Math.round((step / job.steps) * 100), message });
    if (step === job.steps) this.finish(job);
    else this.later(() => this.advance(job), this.options.jobStepMs);
    this.wake(job);
  }

  private finish(job: JobRecord): void {
    job.finished = true;
    const notification: Notification = { from: 'jobs', text: `${job.label} finished.`, at: Date.now() };
    void this.hub.publish(notificationChannelOf(job.owner), notification);
    this.later(() => this.jobs.delete(job.id), FINISHED_JOB_TTL_MS);
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private nextStep(job: JobRecord, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(job.id) ?? new Set();
      this.waiters.set(job.id, set);
      const wake = (): void => {
        set.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      set.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  private wake(job: JobRecord): void {
    const set = this.waiters.get(job.id);
    if (!set) return;
    this.waiters.delete(job.id);
    for (const wake of set) wake();
  }
}
