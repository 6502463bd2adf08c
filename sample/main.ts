/** `npm start`: builds, then runs the sample on PORT (default 3000). */
import { Logger } from '@nestjs/common';
import { createSampleApp } from './bootstrap.js';

const logger = new Logger('Sample');
const port = Number(process.env.PORT ?? 3000);

if (process.env.REDIS_URL) {
  // Say it loudly rather than pretend: the Redis transport is not part of the library yet.
  logger.warn(
    'REDIS_URL is set, but the Redis transport of nest-event-stream is not available yet. ' +
      'This instance runs on the in-memory hub: two instances do NOT share chat rooms or notifications.',
  );
}

const app = await createSampleApp();
app.enableShutdownHooks();
await app.listen(port);
logger.log(`Sample running at http://localhost:${port}`);
