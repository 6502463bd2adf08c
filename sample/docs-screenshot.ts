/**
 * `npm run screenshot:docs`: starts the sample on an ephemeral port, opens Swagger UI (`/docs`)
 * in Debian's Chromium, expands the chat stream and writes docs/openapi.png (the README's
 * picture of the documented events). Tests never write files.
 */
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createSampleApp } from './bootstrap.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

const target = resolve(process.argv[2] ?? 'docs/openapi.png');
const OPERATION = '#operations-chat-ChatController_events';

const app = await createSampleApp({ logger: false });
await app.listen(0, '127.0.0.1');
const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${url}/docs`);
  await page.click(`${OPERATION} .opblock-summary`);
  await page.waitForSelector(`${OPERATION} .responses-wrapper .response`);
  await mkdir(dirname(target), { recursive: true });
  await page.locator(OPERATION).screenshot({ path: target, animations: 'disabled' });
  console.log(`wrote ${target}`);
} finally {
  await browser.close();
  await app.close();
}
