/**
 * Per-user notifications: each user reads their own hub channel plus the broadcast one. The
 * guard runs before the stream starts, so a page without a valid token gets a real 401.
 */
import { BadRequestException, Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CleanUp, LastEventId, Sse, SseEvents, SseHub } from '../../lib/index.js';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { DEMO_USERS, isDemoUser, type DemoUser } from '../auth/demo-users.js';
import { StreamStatsService } from '../stats/stream-stats.service.js';
import { BROADCAST_CHANNEL, EVERYONE, notificationChannelOf, type Notification } from './notification-channels.js';
import { notificationEvents, type NotificationEvents } from './notification-events.js';

const MAX_TEXT_LENGTH = 280;

@ApiTags('notifications')
@ApiCookieAuth()
@ApiSecurity('token')
@Controller('notifications')
@UseGuards(AuthGuard)
export class NotificationsController {
  constructor(
    private readonly hub: SseHub,
    private readonly stats: StreamStatsService,
  ) {}

  @Sse('events')
  @SseEvents(notificationEvents, { resumable: 'hub' })
  events(@CurrentUser() user: DemoUser, @LastEventId() lastEventId: string | undefined, cleanUp: CleanUp) {
    this.stats.track('notifications', cleanUp, lastEventId);
    return this.hub.channel<NotificationEvents>([notificationChannelOf(user), BROADCAST_CHANNEL]).subscribe({ lastEventId });
  }

  /** Sends a notification to one user or to everyone. */
  @Post()
  @HttpCode(201)
  async send(@CurrentUser() from: DemoUser, @Body() body: { to?: unknown; text?: unknown } | undefined): Promise<{ id: string }> {
    const to = body?.to ?? EVERYONE;
    const text = typeof body?.text === 'string' ? body.text.trim() : '';
    if (to !== EVERYONE && !isDemoUser(to)) {
      throw new BadRequestException(`"to" must be "${EVERYONE}" or one of ${DEMO_USERS.join(', ')}.`);
    }
    if (!text || text.length > MAX_TEXT_LENGTH) throw new BadRequestException(`"text" must be 1 to ${MAX_TEXT_LENGTH} characters.`);
    const notification: Notification = { from, text, at: Date.now() };
    const id = await this.hub.publish(to === EVERYONE ? BROADCAST_CHANNEL : notificationChannelOf(to), notification);
    return { id };
  }
}
