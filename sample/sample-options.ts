/** Knobs of the sample app; the defaults suit a person watching, tests pass faster ones. */
export interface SampleOptions {
  /** Delay between two progress steps of a simulated job, in ms. Default 250 (a job takes 5 s). */
  jobStepMs: number;
  /** Progress steps of a job (each one event). Default 20. */
  jobSteps: number;
  /** How often the metrics tile is updated, in ms. Default 1000. */
  metricsIntervalMs: number;
  /** Reconnection delay sent to every EventSource (`retry:`), in ms. Default 1000. */
  retryMs: number;
  /** Heartbeat comment interval, in ms. Default 15000. */
  heartbeatMs: number;
  /** Events kept per hub channel for resume. Default 500. */
  historyMaxEvents: number;
  /** Delay between two tokens of a simulated long answer, in ms. Default 120. */
  answerTokenMs: number;
}

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = {
  jobStepMs: 250,
  jobSteps: 20,
  metricsIntervalMs: 1000,
  retryMs: 1000,
  heartbeatMs: 15_000,
  historyMaxEvents: 500,
  answerTokenMs: 120,
};

export const SAMPLE_OPTIONS = Symbol('SAMPLE_OPTIONS');
