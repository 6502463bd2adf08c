/** This project on `@nestjs/platform-fastify`. */
import type { StartBenchServer } from './bench-server.js';
import { startNestEventStream } from './nest-event-stream.app.js';

export const startServer: StartBenchServer = (options) => startNestEventStream('fastify', options);
