/** This project on `@nestjs/platform-express`. */
import type { StartBenchServer } from './bench-server.js';
import { startNestEventStream } from './nest-event-stream.app.js';

export const startServer: StartBenchServer = (options) => startNestEventStream('express', options);
