/** The events of `GET /answers/:key/events`: what the producer records, and `stopped` after a stop. */
import { ApiProperty } from '@nestjs/swagger';
import type { SseEventsOf } from '../../lib/index.js';

export class AnswerPromptDto {
  @ApiProperty({ example: 'Why does a reload not restart this answer?' }) prompt!: string;
}

export class AnswerDoneDto {
  @ApiProperty({ description: 'Tokens produced.', example: 74 }) tokens!: number;
}

export const answerEvents = { prompt: AnswerPromptDto, token: String, done: AnswerDoneDto, stopped: String } as const;
export type AnswerEvents = SseEventsOf<typeof answerEvents>;
