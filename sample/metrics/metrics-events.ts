/** The events of `GET /metrics/events`: one `metrics` snapshot per interval, no ids. */
import { ApiProperty } from '@nestjs/swagger';
import type { SseEventsOf } from '../../lib/index.js';
import type { MetricsSnapshot } from './metrics.service.js';

export class MetricsSnapshotDto implements MetricsSnapshot {
  @ApiProperty({ description: 'Counts up from 1 while the sampler runs.' }) tick!: number;
  @ApiProperty({ description: 'Epoch ms.' }) at!: number;
  @ApiProperty() uptimeS!: number;
  @ApiProperty({ description: 'Process CPU time over the last interval, as % of one core.' }) cpuPercent!: number;
  @ApiProperty() rssMb!: number;
  @ApiProperty() heapUsedMb!: number;
  @ApiProperty({ description: 'Event-loop delay over the last interval, 99th percentile.' }) eventLoopDelayMs!: number;
  @ApiProperty() openStreams!: number;
  @ApiProperty() cleanUpRuns!: number;
}

export const metricsEvents = { metrics: MetricsSnapshotDto } as const;
export type MetricsEvents = SseEventsOf<typeof metricsEvents>;
