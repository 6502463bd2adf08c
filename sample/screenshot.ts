/**
 * `npm run screenshot`: starts the sample on an ephemeral port, opens it in Debian's Chromium,
 * starts a job and writes docs/screenshot.png (the README's picture). Run it after changing the
 * page; tests never write files.
 */
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createSampleApp } from './bootstrap.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

const target = resolve(process.argv[2] ?? 'docs/screenshot.png');

const app = await createSampleApp({ logger: false, jobStepMs: 120, metricsIntervalMs: 250, answerTokenMs: 60 });
await app.listen(0, '127.0.0.1');
const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${url}/?user=alice`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('[data-stream="chat"][data-state="open"]');
  await fetch(`${url}/chat/messages?token=demo-token-bob`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'Hi Alice, is the report ready?' }),
  });
  await page.fill('#prompt', 'Why does a reload not restart this answer?');
  await page.click('#ask');
  await page.click('#start-job');
  await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('li.job.running')?.dataset.percent ?? 0) >= 45);
  await page.evaluate(() => document.querySelector('#toast')?.classList.remove('show'));
  await mkdir(dirname(target), { recursive: true });
  await page.screenshot({ path: target, fullPage: true, animations: 'disabled' });
  console.log(`wrote ${target}`);
} finally {
  await browser.close();
  await app.close();
}
