/** A live metrics tile: one `metrics` event per interval. No ids: only the latest value matters. */
import { Controller } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { CleanUp, Sse, SseEvent } from '../../lib/index.js';
import { StreamStatsService } from '../stats/stream-stats.service.js';
import { MetricsService } from './metrics.service.js';

@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly stats: StreamStatsService,
  ) {}

  @Sse('events')
  events(cleanUp: CleanUp): Observable<SseEvent> {
    this.stats.track('metrics', cleanUp);
    return this.metrics.snapshots$.pipe(map((snapshot) => new SseEvent({ event: 'metrics', data: snapshot })));
  }
}
