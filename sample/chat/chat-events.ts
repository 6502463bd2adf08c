/** The events of `GET /chat/events`: messages published on the hub, and presence. */
import { ApiProperty } from '@nestjs/swagger';
import type { SseEventsOf } from '../../lib/index.js';
import { DEMO_USERS, type DemoUser } from '../auth/demo-users.js';

export class ChatMessageDto {
  @ApiProperty({ enum: DEMO_USERS }) from!: DemoUser;
  @ApiProperty({ maxLength: 500, example: 'Hi Alice, is the report ready?' }) text!: string;
  @ApiProperty({ description: 'Epoch ms.' }) at!: number;
}

export class ChatPresenceDto {
  @ApiProperty({ enum: DEMO_USERS }) user!: DemoUser;
}

export const chatEvents = { message: ChatMessageDto, join: ChatPresenceDto, leave: ChatPresenceDto } as const;
export type ChatEvents = SseEventsOf<typeof chatEvents>;
