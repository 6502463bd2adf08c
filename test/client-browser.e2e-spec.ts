/**
 * nest-event-stream/client in a browser: the built client bundled for the web (esbuild) and run
 * by a page in Chromium against a Nest app: a POST with a body and headers, and a stream the
 * server drops twice, resumed by Last-Event-ID.
 */
import { Body, Controller, Get, Header, Headers, Module, Req } from '@nestjs/common';
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser } from 'playwright-core';
import { LastEventId, Sse, SseEvent, SseModule } from '../lib/index.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/sample-page.js';

const CLIENT_ENTRY = resolve(process.cwd(), 'dist/lib/client/index.js');
let bundle = '';
const killed = new Set<number>();
const lastEventIds: (string | undefined)[] = [];

const PAGE = `<!doctype html><meta charset="utf-8"><title>client</title>
<script type="module">
import { connectSse, SseHttpError } from '/client.js';
const results = { echo: [], numbers: [], retries: [], refused: null };
try {
  for await (const m of connectSse('/echo', {
    method: 'POST',
    body: JSON.stringify({ question: 'ça va ?' }),
    headers: () => ({ 'content-type': 'application/json', 'x-token': 'browser-token' }),
    json: true,
  })) { results.echo.push(m.data); break; }
  for await (const m of connectSse('/numbers', { minRetryDelay: 0, onRetry: (r) => results.retries.push([r.failures, r.lastEventId]) })) {
    results.numbers.push([m.id, m.data]);
  }
  try { for await (const m of connectSse('/missing')) void m; } catch (err) { results.refused = [err instanceof SseHttpError, err.status]; }
} catch (err) {
  results.error = String(err && err.stack || err);
}
window.__results = results;
</script>`;

function socketOf(req: { raw?: { socket: Socket }; socket?: Socket }): Socket {
  return (req.raw?.socket ?? req.socket)!;
}

@Controller()
class BrowserController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('client.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  client(): string {
    return bundle;
  }

  @Get('favicon.ico')
  @Header('content-type', 'image/x-icon')
  favicon(): string {
    return '';
  }

  @Sse('echo', { method: 'POST' })
  echo(@Body() body: unknown, @Headers('x-token') token?: string) {
    return [{ body, token }];
  }

  /** 1..9 with ids; the server drops the connection after 3 and 6, and answers 204 after 9. */
  @Sse('numbers', { retry: 10 })
  numbers(@LastEventId() lastEventId: string | undefined, @Req() req: { raw?: { socket: Socket }; socket?: Socket }) {
    lastEventIds.push(lastEventId);
    const from = lastEventId === undefined ? 1 : Number(lastEventId) + 1;
    if (from > 9) return null;
    const socket = socketOf(req);
    return (async function* () {
      for (let i = from; i <= 9; i++) {
        yield new SseEvent({ id: String(i), data: `n${i}` });
        if ((i === 3 || i === 6) && !killed.has(i)) {
          killed.add(i);
          await sleep(100);
          socket.destroy();
          return;
        }
      }
    })();
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [BrowserController] })
class BrowserModule {}

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CLIENT_ENTRY)) throw new Error(`${CLIENT_ENTRY} is missing: run \`npm run build\` first (npm test does).`);
  const built = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  bundle = built.outputFiles[0]!.text;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe.each(PLATFORMS)('connectSse in Chromium (%s)', (platform) => {
  let running: RunningApp;
  beforeEach(async () => {
    killed.clear();
    lastEventIds.length = 0;
    running = await startApp(platform, BrowserModule);
  });
  afterEach(async () => {
    await running.close();
  });

  it('POSTs a body with headers, resumes after the server drops the connection, stops on 204, refuses a 404', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(running.url);
      await page.waitForFunction(() => (window as unknown as { __results?: unknown }).__results !== undefined, undefined, {
        timeout: 15_000,
      });
      const results = (await page.evaluate(() => (window as unknown as { __results: unknown }).__results)) as {
        echo: unknown[];
        numbers: [string, string][];
        retries: [number, string][];
        refused: [boolean, number];
        error?: string;
      };
      expect(results.error).toBeUndefined();
      expect(results.echo).toEqual([{ body: { question: 'ça va ?' }, token: 'browser-token' }]);
      expect(results.numbers).toEqual(Array.from({ length: 9 }, (_, i) => [String(i + 1), `n${i + 1}`]));
      expect(lastEventIds).toEqual([undefined, '3', '6', '9']);
      expect(results.retries).toEqual([
        [0, '3'],
        [0, '6'],
        [0, '9'],
      ]);
      expect(results.refused).toEqual([true, 404]);
    } finally {
      await page.close();
    }
  });
});
