import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './auth.guard.js';
import type { DemoUser } from './demo-users.js';

/** The user `AuthGuard` authenticated. */
export const CurrentUser: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): DemoUser => context.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);
