/**
 * Heartbeats for every stream with the same interval on one shared timer (not one per stream:
 * at 50,000 idle streams that is 50,000 timers). The timer ticks four times per interval; a
 * stream is due once it has been silent for four ticks, so silence between frames stays within
 * the interval (from 3/4 of it to all of it, plus event-loop delay).
 */
const TICKS_PER_INTERVAL = 4;

/** A stream on a schedule: stamps `lastActivityTick` when it writes. */
export interface HeartbeatTarget {
  lastActivityTick: number;
  /** Writes a heartbeat (the target decides whether the socket is busy enough to skip it). */
  sendHeartbeat(): void;
}

export class HeartbeatSchedule {
  private readonly targets = new Set<HeartbeatTarget>();
  private timer: NodeJS.Timeout | undefined;
  /** Ticks so far. */
  tick = 0;

  constructor(
    readonly intervalMs: number,
    private readonly onEmpty: (schedule: HeartbeatSchedule) => void,
  ) {}

  get size(): number {
    return this.targets.size;
  }

  add(target: HeartbeatTarget): void {
    target.lastActivityTick = this.tick;
    this.targets.add(target);
    if (!this.timer) {
      this.timer = setInterval(() => this.onTick(), Math.max(1, Math.floor(this.intervalMs / TICKS_PER_INTERVAL)));
      this.timer.unref();
    }
  }

  delete(target: HeartbeatTarget): void {
    if (!this.targets.delete(target) || this.targets.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.onEmpty(this);
  }

  private onTick(): void {
    const tick = ++this.tick;
    for (const target of this.targets) {
      if (tick - target.lastActivityTick < TICKS_PER_INTERVAL) continue;
      target.lastActivityTick = tick;
      target.sendHeartbeat();
    }
  }
}

const schedules = new Map<number, HeartbeatSchedule>();

/** The shared schedule of an interval (made on first use, dropped when its last stream leaves). */
export function heartbeatSchedule(intervalMs: number): HeartbeatSchedule {
  let schedule = schedules.get(intervalMs);
  if (!schedule) {
    schedule = new HeartbeatSchedule(intervalMs, (empty) => {
      if (schedules.get(intervalMs) === empty) schedules.delete(intervalMs);
    });
    schedules.set(intervalMs, schedule);
  }
  return schedule;
}

/** Timers running for heartbeats right now (one per distinct interval in use): for tests and stats. */
export function heartbeatTimerCount(): number {
  return schedules.size;
}
