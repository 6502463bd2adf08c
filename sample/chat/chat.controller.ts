/**
 * A chat room on the hub: `POST /chat/messages` publishes, `GET /chat/events` streams messages
 * and join/leave presence, `GET /chat/members` reads the hub's roster. Every message has a hub
 * id, so a reconnecting EventSource resumes where it stopped: messages sent while it was away
 * arrive once, in order. Presence is news of the moment (no id, not replayed): a user with two
 * tabs joins with the first and leaves with the last.
 */
import { BadRequestException, Body, Controller, Get, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CleanUp, LastEventId, Sse, SseEvents, SseHub } from '../../lib/index.js';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { DemoUser } from '../auth/demo-users.js';
import { StreamStatsService } from '../stats/stream-stats.service.js';
import { chatEvents, type ChatEvents } from './chat-events.js';

/** `data` of a chat `message` event. */
export interface ChatMessage {
  from: DemoUser;
  text: string;
  at: number;
}

/** `data` of the `join` and `leave` events. */
export interface ChatPresence {
  user: DemoUser;
}

export const CHAT_CHANNEL = 'chat:lobby';
const MAX_MESSAGE_LENGTH = 500;

@ApiTags('chat')
@ApiCookieAuth()
@ApiSecurity('token')
@Controller('chat')
@UseGuards(AuthGuard)
export class ChatController {
  constructor(
    private readonly hub: SseHub,
    private readonly stats: StreamStatsService,
  ) {}

  /** The room, typed by its events: a publish of anything else does not compile. */
  private get room() {
    return this.hub.channel<ChatEvents>(CHAT_CHANNEL);
  }

  @Sse('events')
  @SseEvents(chatEvents, { resumable: 'hub' })
  events(@CurrentUser() user: DemoUser, @LastEventId() lastEventId: string | undefined, cleanUp: CleanUp) {
    this.stats.track('chat', cleanUp, lastEventId);
    const presence: ChatPresence = { user };
    return this.room.subscribe({ lastEventId, presence, presenceKey: user });
  }

  @Post('messages')
  @HttpCode(201)
  async send(@CurrentUser() from: DemoUser, @Body() body: { text?: unknown } | undefined): Promise<{ id: string }> {
    const text = typeof body?.text === 'string' ? body.text.trim() : '';
    if (!text || text.length > MAX_MESSAGE_LENGTH) {
      throw new BadRequestException(`"text" must be 1 to ${MAX_MESSAGE_LENGTH} characters.`);
    }
    const message: ChatMessage = { from, text, at: Date.now() };
    return { id: await this.room.publish('message', message) };
  }

  /** Users with the room open now (the hub's roster: one entry per user, however many tabs). */
  @Get('members')
  @Header('Cache-Control', 'no-store')
  async list(): Promise<{ members: string[] }> {
    return { members: (await this.room.roster()).map((member) => member.key).sort() };
  }
}
