import { Controller, HttpCode, Post } from '@nestjs/common';
import { StreamSocketsService } from './stream-sockets.service.js';

/** Demo-only route: do not ship an endpoint like this in a real app. */
@Controller('debug')
export class DebugController {
  constructor(private readonly sockets: StreamSocketsService) {}

  /** Cuts every open SSE connection server-side; the browsers reconnect and resume. */
  @Post('drop-connections')
  @HttpCode(200)
  drop(): { dropped: number } {
    return { dropped: this.sockets.dropAll() };
  }
}
