/** A live metrics tile: one `metrics` event per interval. No ids: only the latest value matters. */
import { Controller } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { ApiTags } from '@nestjs/swagger';
import { CleanUp, Sse, SseEvent, SseEvents } from '../../lib/index.js';
import { StreamStatsService } from '../stats/stream-stats.service.js';
import { metricsEvents } from './metrics-events.js';
import { MetricsService, type MetricsSnapshot } from './metrics.service.js';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly stats: StreamStatsService,
  ) {}

  @Sse('events')
  @SseEvents(metricsEvents)
  events(cleanUp: CleanUp): Observable<SseEvent<MetricsSnapshot, 'metrics'>> {
    this.stats.track('metrics', cleanUp);
    return this.metrics.snapshots$.pipe(map((snapshot) => new SseEvent({ event: 'metrics', data: snapshot })));
  }
}
