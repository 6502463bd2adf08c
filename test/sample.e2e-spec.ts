/**
 * The sample app in a real browser: Debian's Chromium driven by playwright-core, against the
 * sample started in-process on an ephemeral port. The page uses the browser's own EventSource.
 */
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AnswersController, CANNED_ANSWER } from '../sample/answers/answers.controller.js';
import { createSampleApp, type SamplePlatform } from '../sample/bootstrap.js';
import type { StreamStats } from '../sample/stats/stream-stats.service.js';
import { until } from './support/until.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chatLines, chatMessages, streamStatus, waitForStream } from './support/sample-page.js';

const PLATFORMS: SamplePlatform[] = ['express', 'fastify'];

describe.each(PLATFORMS)('sample app in Chromium (%s)', (platform) => {
  let app: INestApplication;
  let url: string;
  let browser: Browser;
  const pageErrors: string[] = [];

  const stats = async (): Promise<StreamStats> => (await fetch(`${url}/stats`)).json() as Promise<StreamStats>;
  const postAs = async (user: string, path: string, body: unknown): Promise<Response> => {
    const res = await fetch(`${url}${path}?token=demo-token-${user}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return res;
  };

  /** A page in its own browser context: its own cookies and its own six connections. */
  async function openPage(user: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${user}: ${err.message}`));
    await page.goto(`${url}/?user=${user}`);
    await page.waitForSelector('body[data-ready="true"]');
    for (const name of ['notifications', 'chat', 'metrics'] as const) await waitForStream(page, name, 'open');
    return page;
  }

  beforeAll(async () => {
    app = await createSampleApp({
      platform,
      logger: false,
      jobStepMs: 60,
      jobSteps: 20,
      metricsIntervalMs: 250,
      retryMs: 500,
      answerTokenMs: 25,
    });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  let alice: Page;
  let bob: Page;

  it('opens the page with its streams and a ticking metrics tile', async () => {
    alice = await openPage('alice');
    const first = Number(await alice.getAttribute('#metrics-card', 'data-tick'));
    await alice.waitForFunction((tick) => Number(document.querySelector<HTMLElement>('#metrics-card')?.dataset.tick) > tick, first);
    expect(await alice.textContent('#m-open')).toMatch(/^\d+$/);
    expect((await stats()).open).toMatchObject({ notifications: 1, chat: 1, metrics: 1 });
  });

  it('starts a job, fills the bar to 100 %, and stops on the 204 after completion', async () => {
    const before = await stats();
    await alice.click('#start-job');
    await alice.waitForSelector('li.job[data-done="true"][data-percent="100"]');
    expect(await alice.$eval('li.job .fill', (el) => (el as HTMLElement).style.width)).toBe('100%');
    // Steps 0..20, each once.
    expect(await alice.getAttribute('li.job', 'data-received')).toBe('21');
    // The stream ended after `done`; the browser reconnected with Last-Event-ID 20 and got 204.
    await waitForStream(alice, 'jobs', 'closed');
    expect((await streamStatus(alice, 'jobs')).lastId).toBe('20');
    expect((await stats()).jobsAnsweredNoContent).toBe(before.jobsAnsweredNoContent + 1);
    expect(await alice.isEnabled('#start-job')).toBe(true);
    // The job told its owner through the notifications stream.
    await alice.waitForSelector('#notifications li.note:has-text("Report #1 finished.")');
  });

  it('answers 401 to a notifications stream without a token, in the browser and on the wire', async () => {
    expect((await fetch(`${url}/notifications/events`)).status).toBe(401);
    const controller = new AbortController();
    const withToken = await fetch(`${url}/notifications/events?token=demo-token-carol`, { signal: controller.signal });
    expect(withToken.status).toBe(200);
    expect(withToken.headers.get('content-type')).toBe('text/event-stream');
    controller.abort();

    const carol = await openPage('carol');
    await carol.selectOption('#user', '');
    await waitForStream(carol, 'notifications', 'unauthorized');
    await waitForStream(carol, 'chat', 'unauthorized');
    await carol.selectOption('#user', 'carol');
    await waitForStream(carol, 'notifications', 'open');
    await carol.close();
  });

  it('sends a chat message from one page and shows it on another', async () => {
    bob = await openPage('bob');
    await alice.waitForSelector('#chat li.presence.join:has-text("bob joined")');
    await alice.waitForFunction(() => document.querySelector('#members')?.textContent === 'alice, bob');

    await alice.fill('#chat-text', 'Hi Bob, the report is ready');
    await alice.press('#chat-text', 'Enter');
    await bob.waitForSelector('#chat li.msg:has-text("Hi Bob, the report is ready")');
    await bob.fill('#chat-text', 'Thanks Alice!');
    await bob.click('#chat-form button');
    await alice.waitForSelector('#chat li.msg:has-text("Thanks Alice!")');

    const expected = ['alice: Hi Bob, the report is ready', 'bob: Thanks Alice!'];
    expect(await chatMessages(alice)).toEqual(expected);
    expect(await chatMessages(bob)).toEqual(expected);
  });

  it('resumes after the server cuts the connections, with no lost and no repeated message', async () => {
    const before = await stats();
    const chatBefore = { alice: await streamStatus(alice, 'chat'), bob: await streamStatus(bob, 'chat') };
    // A job in flight too: its stream resumes from the last step the page saw.
    await alice.click('#start-job');
    await alice.waitForFunction(() => Number(document.querySelector<HTMLElement>('#jobs > li:first-child')?.dataset.received ?? 0) >= 3);
    await alice.click('#drop');
    for (const [page, status] of [
      [alice, chatBefore.alice],
      [bob, chatBefore.bob],
    ] as const) {
      await page.waitForFunction(
        (errors) => Number(document.querySelector<HTMLElement>('[data-stream="chat"]')?.dataset.errors ?? 0) > errors,
        status.errors,
      );
    }
    // Sent while both pages are away: they must arrive through Last-Event-ID replay.
    const missed = ['sent while you were away (1)', 'sent while you were away (2)', 'sent while you were away (3)'];
    for (const text of missed) await postAs('bob', '/chat/messages', { text });
    await postAs('bob', '/notifications', { to: 'alice', text: 'ping during the drop' });

    for (const page of [alice, bob]) {
      for (const name of ['notifications', 'chat', 'metrics'] as const) await waitForStream(page, name, 'open');
      await page.waitForSelector(`#chat li.msg:has-text("${missed[2]}")`);
    }
    await alice.waitForSelector('#notifications li.note:has-text("ping during the drop")');

    const expected = ['alice: Hi Bob, the report is ready', 'bob: Thanks Alice!', ...missed.map((text) => `bob: ${text}`)];
    for (const page of [alice, bob]) {
      expect(await chatMessages(page)).toEqual(expected);
      const ids = (await chatLines(page)).map((line) => line.id);
      expect(new Set(ids).size).toBe(ids.length);
      const status = await streamStatus(page, 'chat');
      expect(status).toMatchObject({ dupes: 0, gaps: 0 });
    }
    expect((await streamStatus(alice, 'chat')).opens).toBe(chatBefore.alice.opens + 1);
    expect(await alice.textContent('[data-stream="chat"] .state')).toMatch(/resumed ×1/);
    await alice.waitForSelector('#jobs > li:first-child[data-done="true"][data-percent="100"]');
    expect(await alice.getAttribute('#jobs > li:first-child', 'data-received')).toBe('21');
    expect(await streamStatus(alice, 'jobs')).toMatchObject({ dupes: 0, gaps: 0 });
    const after = await stats();
    // Both chat streams and alice's notifications (bob's never received an id) came back with Last-Event-ID.
    expect(after.resumed.chat - before.resumed.chat).toBeGreaterThanOrEqual(2);
    expect(after.resumed.notifications - before.resumed.notifications).toBeGreaterThanOrEqual(1);
    expect(after.resumed.jobs - before.resumed.jobs).toBe(1);
  });

  it("runs the server's CleanUp when a tab closes", async () => {
    const before = await stats();
    const bobLeft = () =>
      alice.$$eval('#chat li.presence.leave', (items) => items.filter((li) => li.textContent?.includes('bob left')).length);
    const leavesBefore = await bobLeft();
    await bob.close();
    await until(
      async () => {
        const now = await stats();
        return (['notifications', 'chat', 'metrics'] as const).every(
          (kind) => now.open[kind] === before.open[kind] - 1 && now.cleanUps[kind] === before.cleanUps[kind] + 1,
        );
      },
      10_000,
      "the closed tab's streams to run their CleanUp",
    );
    await until(async () => (await bobLeft()) === leavesBefore + 1, 5000, 'alice to see bob leave');
    await alice.waitForFunction(() => document.querySelector('#members')?.textContent === 'alice');
  });

  it('streams a long answer, picks it up where it was after a reload, and stops one on demand', async () => {
    const words = CANNED_ANSWER.split(' ');
    const page = await openPage('carol');
    await page.fill('#prompt', 'What is SSE?');
    await page.click('#ask');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#answer-card')?.dataset.tokens) >= 5);
    const key = (await page.getAttribute('#answer-card', 'data-key'))!;
    expect(AnswersController.produced.get(key)).toBeLessThan(words.length);
    // A reload mid-answer follows the same answer: what was said is replayed, then the rest, once.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('#answer-card', 'data-key')).toBe(key);
    await page.waitForSelector('#answer-card[data-done="done"]', { timeout: 20_000 });
    expect(await page.textContent('#answer')).toBe(`» What is SSE?${words.map((word) => `${word} `).join('')}`);
    expect(await page.getAttribute('#answer-card', 'data-tokens')).toBe(String(words.length));
    // The producer ran once: the reload did not restart it.
    expect(AnswersController.produced.get(key)).toBe(words.length);
    expect(await streamStatus(page, 'answer')).toMatchObject({ dupes: 0, gaps: 0 });

    await page.click('#ask');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#answer-card')?.dataset.tokens) >= 3);
    const second = (await page.getAttribute('#answer-card', 'data-key'))!;
    expect(second).not.toBe(key);
    await page.click('#stop-answer');
    await page.waitForSelector('#answer-card[data-done="stopped"]');
    const stoppedAt = AnswersController.produced.get(second)!;
    expect(stoppedAt).toBeLessThan(words.length);
    // Long enough for several more tokens, had it kept going.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(AnswersController.produced.get(second)).toBe(stoppedAt);
    await page.close();
  });
});
