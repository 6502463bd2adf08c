/** The events of `GET /notifications/events`: each notification is a `message`. */
import { ApiProperty } from '@nestjs/swagger';
import type { SseEventsOf } from '../../lib/index.js';
import type { Notification } from './notification-channels.js';

export class NotificationDto implements Notification {
  @ApiProperty({ description: 'A user name, or the part of the app that sent it (`jobs`).', example: 'jobs' }) from!: string;
  @ApiProperty({ example: 'Report #1 is ready.' }) text!: string;
  @ApiProperty({ description: 'Epoch ms.' }) at!: number;
}

export const notificationEvents = { message: NotificationDto } as const;
export type NotificationEvents = SseEventsOf<typeof notificationEvents>;
