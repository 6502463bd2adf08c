/**
 * Keeps idle streams alive through proxies. One unref'd interval per stream; a tick is skipped
 * when a frame was written since the previous one (activity resets the schedule without
 * rescheduling a timer on every write) or when the socket is still busy.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(
    private readonly intervalMs: number,
    private readonly send: () => void,
    private readonly busy: () => boolean,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Something was written: the next tick has nothing to prove. */
  touch(): void {
    this.active = true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.active) {
      this.active = false;
      return;
    }
    if (!this.busy()) this.send();
  }
}
