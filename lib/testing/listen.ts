import type { INestApplication } from '@nestjs/common';
import { baseUrlOf, ensureAppListening } from './server-url.js';

/** A Nest app listening on a loopback port. */
export interface ListeningApp {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** Closes the app (`app.close()`: open streams end and their CleanUp runs). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Listens a Nest app on 127.0.0.1 with an ephemeral port (unless it already listens) and returns
 * its URL. Works with Express and Fastify apps from `Test.createTestingModule(...).createNestApplication()`.
 *
 * @example const { url, close } = await listen(moduleRef.createNestApplication()); afterAll(close);
 */
export async function listen(app: INestApplication): Promise<ListeningApp> {
  const server = await ensureAppListening(app);
  let closing: Promise<void> | undefined;
  return {
    url: baseUrlOf(server),
    close: () => (closing ??= app.close()),
  };
}
