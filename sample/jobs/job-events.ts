/** The events of `GET /jobs/:id/events`, declared once: for the handler's type, the page's client and /docs. */
import { ApiProperty } from '@nestjs/swagger';
import type { SseEventsOf } from '../../lib/index.js';
import type { JobProgress } from './jobs.service.js';

export class JobProgressDto implements JobProgress {
  @ApiProperty({ example: 'job-1-k3x9qa' }) jobId!: string;
  @ApiProperty({ description: '0 (queued) .. steps (done); also the event id.', example: 3 }) step!: number;
  @ApiProperty({ example: 6 }) steps!: number;
  @ApiProperty({ minimum: 0, maximum: 100, example: 50 }) percent!: number;
  @ApiProperty({ example: 'Crunching numbers' }) message!: string;
}

export const jobEvents = { progress: JobProgressDto, done: JobProgressDto } as const;
export type JobEvents = SseEventsOf<typeof jobEvents>;
