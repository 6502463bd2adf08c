/** Hub channels of notifications: one per user, plus one every user reads. */
import type { DemoUser } from '../auth/demo-users.js';

/** What a notification event's `data` holds. */
export interface Notification {
  /** A user name, or the part of the app that sent it (`jobs`). */
  from: string;
  text: string;
  /** Epoch ms. */
  at: number;
}

export const EVERYONE = 'everyone';
export const BROADCAST_CHANNEL = 'notifications:everyone';

export const notificationChannelOf = (user: DemoUser): string => `notifications:${user}`;
