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
  /**
   * Where Redis runs (`redis://host:port`): with it the hub runs on `RedisHubStore` and `RedisHubTransport`,
   * so every instance given the same URL and key prefix shares chat, notifications and resume. Default: none,
   * the in-memory hub (`main.ts` passes `REDIS_URL`).
   */
  redisUrl: string | undefined;
  /** Prefix of the hub's Redis keys; instances that share it share the hub. Default `nest-event-stream-sample`. */
  redisKeyPrefix: string;
}

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = {
  jobStepMs: 250,
  jobSteps: 20,
  metricsIntervalMs: 1000,
  retryMs: 1000,
  heartbeatMs: 15_000,
  historyMaxEvents: 500,
  answerTokenMs: 120,
  redisUrl: undefined,
  redisKeyPrefix: 'nest-event-stream-sample',
};

export const SAMPLE_OPTIONS = Symbol('SAMPLE_OPTIONS');
