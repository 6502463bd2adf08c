/** Who is in the chat room: a user with two tabs open counts once and leaves with the last one. */
import { Injectable } from '@nestjs/common';
import type { DemoUser } from '../auth/demo-users.js';

@Injectable()
export class ChatMembersService {
  private readonly tabs = new Map<DemoUser, number>();

  /** Counts one more open stream of `user`; returns the function that uncounts it. */
  enter(user: DemoUser): () => void {
    this.tabs.set(user, (this.tabs.get(user) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const remaining = (this.tabs.get(user) ?? 1) - 1;
      if (remaining > 0) this.tabs.set(user, remaining);
      else this.tabs.delete(user);
    };
  }

  list(): DemoUser[] {
    return [...this.tabs.keys()].sort();
  }
}
