/** Keeps latency samples (ms) for one measurement window and reports percentiles. */
export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const MAX_SAMPLES = 4_000_000;

export class LatencyRecorder {
  private samples = new Float64Array(1 << 16);
  private count = 0;
  recording = false;

  record(ms: number): void {
    if (!this.recording || this.count >= MAX_SAMPLES) return;
    if (this.count === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = ms;
  }

  reset(): void {
    this.count = 0;
  }

  summary(): LatencySummary {
    const sorted = this.samples.slice(0, this.count).sort();
    const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return { samples: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
  }
}
