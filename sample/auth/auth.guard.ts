/**
 * Per-user auth for the sample's routes, SSE ones included: the token comes from the
 * `sample_token` cookie (what the page uses: `EventSource` sends cookies, not headers) or the
 * `token` query parameter. Without a valid one the route answers a real 401 before any stream
 * starts, so the browser's `EventSource` fails and stops instead of retrying.
 */
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { TOKEN_COOKIE, userOfToken, type DemoUser } from './demo-users.js';

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  user?: DemoUser;
}

export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const line = Array.isArray(header) ? header.join('; ') : header;
  for (const pair of line?.split(';') ?? []) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return undefined;
}

@Injectable()
export class AuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const fromQuery = typeof request.query.token === 'string' ? request.query.token : undefined;
    const user = userOfToken(readCookie(request.headers.cookie, TOKEN_COOKIE) ?? fromQuery);
    if (!user) throw new UnauthorizedException('Sign in first: POST /session with {"user":"alice"}, or pass ?token=.');
    request.user = user;
    return true;
  }
}
