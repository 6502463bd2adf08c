/** The Fastify floor behind one pass-through interceptor: what Nest's interceptor pipeline costs per request. */
import type { StartBenchServer } from './bench-server.js';
import { startNestFloor } from './nest-floor.app.js';

export const startServer: StartBenchServer = (options) => startNestFloor('fastify', options, true);
