/** The floor on `@nestjs/platform-fastify`: a `@Get()` route with `@Res()` writing the SSE head, no library. */
import type { StartBenchServer } from './bench-server.js';
import { startNestFloor } from './nest-floor.app.js';

export const startServer: StartBenchServer = (options) => startNestFloor('fastify', options);
