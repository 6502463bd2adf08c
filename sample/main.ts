/**
 * `npm start`: builds, then runs the sample on PORT (default 3000). With REDIS_URL set, the hub runs on
 * Redis (key prefix REDIS_KEY_PREFIX, default `nest-event-stream-sample`), so instances share it.
 */
import { Logger } from '@nestjs/common';
import { RedisUnreachableError } from '../lib/redis/index.js';
import { createSampleApp, redisFromEnv } from './bootstrap.js';
import { describeSampleHub } from './sample-hub.js';
import { DEFAULT_SAMPLE_OPTIONS } from './sample-options.js';

const logger = new Logger('Sample');
const port = Number(process.env.PORT ?? 3000);
const redis = redisFromEnv();

const app = await createSampleApp(redis);
app.enableShutdownHooks();
logger.log(describeSampleHub({ ...DEFAULT_SAMPLE_OPTIONS, ...redis }));
try {
  await app.listen(port);
} catch (err) {
  if (!(err instanceof RedisUnreachableError)) throw err;
  logger.error(err.message);
  await app.close().catch(() => undefined);
  process.exit(1);
}
logger.log(`Sample running at http://localhost:${port}`);
