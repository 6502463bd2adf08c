import { Controller, Get, Header } from '@nestjs/common';
import { StreamStatsService, type StreamStats } from './stream-stats.service.js';

@Controller('stats')
export class StatsController {
  constructor(private readonly stats: StreamStatsService) {}

  /** Open streams and CleanUp runs per kind of stream. */
  @Get()
  @Header('Cache-Control', 'no-store')
  get(): StreamStats {
    return this.stats.snapshot();
  }
}
