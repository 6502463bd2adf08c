import { Module, type DynamicModule } from '@nestjs/common';
import { SseModule } from '../lib/index.js';
import { AnswersController } from './answers/answers.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { SessionController } from './auth/session.controller.js';
import { ChatController } from './chat/chat.controller.js';
import { DebugController } from './debug/debug.controller.js';
import { StreamSocketsService } from './debug/stream-sockets.service.js';
import { InstanceController } from './instance/instance.controller.js';
import { JobsController } from './jobs/jobs.controller.js';
import { JobsService } from './jobs/jobs.service.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { NotificationsController } from './notifications/notifications.controller.js';
import { sampleHubOptions } from './sample-hub.js';
import { DEFAULT_SAMPLE_OPTIONS, SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';
import { StatsController } from './stats/stats.controller.js';
import { StreamStatsService } from './stats/stream-stats.service.js';

/**
 * The sample: job progress, notifications, a chat room, a metrics tile and a long (LLM-like) answer, all on
 * nest-event-stream; its hub runs in memory, or on Redis with `redisUrl` (see sample-hub.ts).
 *
 * @example const app = await NestFactory.create(SampleAppModule.forRoot({ jobStepMs: 100 }));
 * @example SampleAppModule.forRoot({ redisUrl: 'redis://127.0.0.1:6379', redisKeyPrefix: 'my-sample' })
 */
@Module({})
export class SampleAppModule {
  static forRoot(overrides: Partial<SampleOptions> = {}): DynamicModule {
    const options: SampleOptions = { ...DEFAULT_SAMPLE_OPTIONS, ...overrides };
    return {
      module: SampleAppModule,
      imports: [
        SseModule.forRoot({
          heartbeat: options.heartbeatMs,
          retry: options.retryMs,
          ...sampleHubOptions(options),
        }),
      ],
      controllers: [
        SessionController,
        JobsController,
        NotificationsController,
        ChatController,
        MetricsController,
        AnswersController,
        StatsController,
        DebugController,
        InstanceController,
      ],
      providers: [
        { provide: SAMPLE_OPTIONS, useValue: options },
        AuthGuard,
        JobsService,
        MetricsService,
        StreamStatsService,
        StreamSocketsService,
      ],
    };
  }
}
