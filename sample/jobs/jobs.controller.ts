/**
 * `POST /jobs` starts a job; `GET /jobs/:id/events` streams its progress. The stream ends after
 * the `done` event; the browser's EventSource then reconnects with that id as Last-Event-ID and
 * gets 204 No Content, which is what tells it to stop for good.
 */
import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CleanUp, LastEventId, Sse, SseEvents } from '../../lib/index.js';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { DemoUser } from '../auth/demo-users.js';
import { StreamStatsService } from '../stats/stream-stats.service.js';
import { jobEvents } from './job-events.js';
import { JobsService, type JobEventEnvelope } from './jobs.service.js';

export interface StartedJob {
  id: string;
  label: string;
  steps: number;
  /** Where to open an EventSource for this job's progress. */
  events: string;
}

@ApiTags('jobs')
@ApiCookieAuth()
@ApiSecurity('token')
@Controller('jobs')
@UseGuards(AuthGuard)
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly stats: StreamStatsService,
  ) {}

  @Post()
  @HttpCode(201)
  start(@CurrentUser() user: DemoUser): StartedJob {
    const job = this.jobs.start(user);
    return { id: job.id, label: job.label, steps: job.steps, events: `/jobs/${job.id}/events` };
  }

  @Sse(':id/events')
  @SseEvents(jobEvents, { description: 'Progress of one job: replays the steps a client missed, then live ones; 204 once all were seen.' })
  events(
    @Param('id') id: string,
    @CurrentUser() user: DemoUser,
    @LastEventId() lastEventId: string | undefined,
    cleanUp: CleanUp,
  ): AsyncGenerator<JobEventEnvelope> | null {
    const job = this.jobs.get(id, user); // 404 before the stream starts: EventSource stops
    const lastSeenStep = this.jobs.lastSeenStep(job, lastEventId);
    if (this.jobs.fullyDelivered(job, lastSeenStep)) {
      this.stats.countNoContent();
      return null; // 204
    }
    this.stats.track('jobs', cleanUp, lastEventId);
    return this.jobs.follow(job, lastSeenStep, cleanUp.signal);
  }
}
