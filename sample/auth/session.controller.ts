/** Signs the page in as a demo user by setting the token cookie (the page cannot set HttpOnly cookies). */
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { AuthGuard } from './auth.guard.js';
import { CurrentUser } from './current-user.decorator.js';
import { DEMO_USERS, TOKEN_COOKIE, isDemoUser, tokenOf, type DemoUser } from './demo-users.js';

/** Express `res` or Fastify `reply`: both can set a header before Nest sends the body. */
interface HeaderTarget {
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

function setCookie(res: HeaderTarget, value: string, maxAge?: number): void {
  const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`;
  if (res.header) res.header('set-cookie', cookie);
  else res.setHeader?.('set-cookie', cookie);
}

@Controller('session')
export class SessionController {
  @Post()
  @HttpCode(200)
  signIn(@Body() body: { user?: unknown } | undefined, @Res({ passthrough: true }) res: HeaderTarget): { user: DemoUser } {
    const user = body?.user;
    if (!isDemoUser(user)) throw new BadRequestException(`"user" must be one of ${DEMO_USERS.join(', ')}.`);
    setCookie(res, tokenOf(user));
    return { user };
  }

  @Delete()
  @HttpCode(204)
  signOut(@Res({ passthrough: true }) res: HeaderTarget): void {
    setCookie(res, '', 0);
  }

  @Get()
  @UseGuards(AuthGuard)
  whoAmI(@CurrentUser() user: DemoUser): { user: DemoUser; users: readonly DemoUser[] } {
    return { user, users: DEMO_USERS };
  }
}
