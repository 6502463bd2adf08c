/**
 * Counts the sample's open streams and the `CleanUp` runs that closed them, per kind of stream,
 * so a person (and the browser test) can watch teardown happen at `GET /stats`.
 */
import { Injectable } from '@nestjs/common';
import type { CleanUp } from '../../lib/index.js';

export const STREAM_KINDS = ['jobs', 'notifications', 'chat', 'metrics'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

type PerKind = Record<StreamKind, number>;

export interface StreamStats {
  /** Streams open now. */
  open: PerKind;
  /** Streams whose `CleanUp` has run. */
  cleanUps: PerKind;
  /** Streams opened with a Last-Event-ID (resumed after a reconnect). */
  resumed: PerKind;
  /** Reconnects to a finished job answered with 204 No Content. */
  jobsAnsweredNoContent: number;
}

const zero = (): PerKind => ({ jobs: 0, notifications: 0, chat: 0, metrics: 0 });

@Injectable()
export class StreamStatsService {
  private readonly stats: StreamStats = { open: zero(), cleanUps: zero(), resumed: zero(), jobsAnsweredNoContent: 0 };

  /** Counts a stream as open until its `CleanUp` runs. */
  track(kind: StreamKind, cleanUp: CleanUp, lastEventId?: string): void {
    this.stats.open[kind]++;
    if (lastEventId !== undefined) this.stats.resumed[kind]++;
    cleanUp.add(() => {
      this.stats.open[kind]--;
      this.stats.cleanUps[kind]++;
    });
  }

  countNoContent(): void {
    this.stats.jobsAnsweredNoContent++;
  }

  get openStreams(): number {
    return STREAM_KINDS.reduce((sum, kind) => sum + this.stats.open[kind], 0);
  }

  get cleanUpRuns(): number {
    return STREAM_KINDS.reduce((sum, kind) => sum + this.stats.cleanUps[kind], 0);
  }

  snapshot(): StreamStats {
    return structuredClone(this.stats);
  }
}
