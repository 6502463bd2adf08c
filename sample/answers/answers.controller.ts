/**
 * A simulated LLM answer as a resumable stream: `POST /answers` starts the producer (detached
 * from any request) and returns its key; `GET /answers/:key/events` follows it, from the start or
 * after a Last-Event-ID, on any reload; `POST /answers/:key/stop` stops it. The producer runs once
 * however many tabs follow it, and a reload never restarts it.
 */
import { Body, Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiCookieAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { LastEventId, Sse, SseEvents, SseHub, type HubSource, type SseChannelValue } from '../../lib/index.js';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { DemoUser } from '../auth/demo-users.js';
import { SAMPLE_OPTIONS, type SampleOptions } from '../sample-options.js';
import { answerEvents, type AnswerEvents } from './answer-events.js';

/** What the simulated model answers, token by token. */
export const CANNED_ANSWER =
  'Server-Sent Events keep one HTTP response open and write each event as a few lines of text. ' +
  'The browser reconnects by itself and sends the id of the last event it saw, so the server can ' +
  'carry on exactly where the client left off. A resumable stream records every token in the hub, ' +
  'which is why reloading this page does not restart the answer: it replays what was already said ' +
  'and then follows the rest as it is produced.';

export interface StartedAnswer {
  key: string;
  /** Where to open an EventSource for the answer. */
  events: string;
}

@ApiTags('answers')
@ApiCookieAuth()
@ApiSecurity('token')
@Controller('answers')
@UseGuards(AuthGuard)
export class AnswersController {
  /** Tokens each answer produced so far (for /stats and the tests: a stopped producer stops). */
  static readonly produced = new Map<string, number>();

  constructor(
    private readonly hub: SseHub,
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
  ) {}

  @Post()
  @HttpCode(201)
  start(@CurrentUser() user: DemoUser, @Body() body: { prompt?: string } | undefined): StartedAnswer {
    const key = `${user}-${randomUUID()}`;
    const tokenMs = this.options.answerTokenMs;
    const prompt = typeof body?.prompt === 'string' ? body.prompt.slice(0, 200) : '';
    // Detached: runs whether or not a request follows it; nothing here waits for it.
    this.hub.startStream(key, async function* (signal: AbortSignal) {
      if (prompt) yield { event: 'prompt', data: { prompt } };
      let count = 0;
      for (const word of CANNED_ANSWER.split(' ')) {
        if (signal.aborted) return;
        await sleep(tokenMs, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
        AnswersController.produced.set(key, ++count);
        yield { event: 'token', data: `${word} ` };
      }
      yield { event: 'done', data: { tokens: count } };
    });
    return { key, events: `/answers/${key}/events` };
  }

  @Sse(':key/events')
  @SseEvents(answerEvents, { description: 'The answer token by token, replayed after Last-Event-ID; 204 once finished and seen.' })
  events(@Param('key') key: string, @LastEventId() lastEventId?: string): Promise<HubSource<SseChannelValue<AnswerEvents>> | null> {
    // Unknown, expired, or finished and all seen: 204, and the EventSource stops.
    return this.hub.resumeStream(key, { lastEventId });
  }

  @Post(':key/stop')
  @HttpCode(200)
  async stop(@Param('key') key: string): Promise<{ stopped: boolean }> {
    return { stopped: await this.hub.stopStream(key) };
  }
}
