/** Signs the page in as a demo user by setting the token cookie (the page cannot set HttpOnly cookies). */
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { AuthGuard } from './auth.guard.js';
import { CurrentUser } from './current-user.decorator.js';
import { DEMO_USERS, TOKEN_COOKIE, isDemoUser, tokenOf, type DemoUser } from './demo-users.js';

@Controller('session')
export class SessionController {
  @Post()
  @HttpCode(200)
  signIn(@Body() body: { user?: unknown } | undefined, @Res({ passthrough: true }) res: Response): { user: DemoUser } {
    const user = body?.user;
    if (!isDemoUser(user)) throw new BadRequestException(`"user" must be one of ${DEMO_USERS.join(', ')}.`);
    res.cookie(TOKEN_COOKIE, tokenOf(user), { httpOnly: true, sameSite: 'strict', path: '/' });
    return { user };
  }

  @Delete()
  @HttpCode(204)
  signOut(@Res({ passthrough: true }) res: Response): void {
    res.clearCookie(TOKEN_COOKIE, { path: '/' });
  }

  @Get()
  @UseGuards(AuthGuard)
  whoAmI(@CurrentUser() user: DemoUser): { user: DemoUser; users: readonly DemoUser[] } {
    return { user, users: DEMO_USERS };
  }
}
