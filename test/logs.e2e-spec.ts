/**
 * A client leaving is not an error; a 4xx mid-stream is not an error either; logs never carry
 * the query string. Read from a real Nest logger, over real HTTP, on both platforms.
 */
import { Controller, ForbiddenException, Module, NotFoundException, Param } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { CleanUp, LastEventId, Sse, SseEvent, SseModule } from '../lib/index.js';
import { readEvents } from '../lib/testing/index.js';
import { CapturedLogs } from './support/captured-logs.js';
import { recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const left: string[] = [];
const jobs = new Map([
  ['42', { steps: 10 }],
  ['7', { steps: 10 }],
]);

@Controller('jobs')
class JobsController {
  /** The README's Quick start, as written (plus a record of who left). */
  @Sse(':id/progress')
  async *progress(@Param('id') id: string, @LastEventId() lastEventId: string | undefined, cleanUp: CleanUp) {
    const job = jobs.get(id);
    if (!job) throw new NotFoundException(`No job ${id}`);
    cleanUp.add(() => left.push(id));
    for (let step = lastEventId === undefined ? 0 : Number(lastEventId) + 1; step <= job.steps; step++) {
      if (step > 0) await sleep(500, undefined, { signal: cleanUp.signal });
      yield new SseEvent({ event: 'progress', id: String(step), data: { id, percent: (step * 100) / job.steps } });
    }
    yield new SseEvent({ event: 'done', data: { id } });
  }

  /** Awaits a fetch-like call that rejects with the abort reason itself. */
  @Sse(':id/fetching')
  async *fetching(@Param('id') id: string, cleanUp: CleanUp) {
    cleanUp.add(() => left.push(id));
    yield 'start';
    await new Promise((_resolve, reject) => cleanUp.signal.addEventListener('abort', () => reject(cleanUp.signal.reason)));
  }

  @Sse(':id/quota')
  async *quota() {
    yield 'one';
    throw new ForbiddenException('Quota exceeded');
  }

  @Sse(':id/broken')
  async *broken() {
    yield 'one';
    throw new Error('database password is hunter2');
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [JobsController] })
class LogsModule {}

describe.each(PLATFORMS)('logs (%s)', (platform) => {
  const logs = new CapturedLogs();
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, LogsModule, { logger: logs });
  });
  afterAll(() => running.close());
  beforeEach(() => {
    logs.clear();
    left.length = 0;
  });

  it('the Quick start: a tab that closes while the generator sleeps on cleanUp.signal logs nothing at error level', async () => {
    const tab = recordEventSource(`${running.url}/jobs/42/progress`, ['progress']);
    await tab.waitForEvents(1);
    tab.close();
    await until(() => left.includes('42'));
    // The generator's rejected sleep settles after CleanUp ran: give it its turn.
    await sleep(50);
    expect(logs.errors()).toEqual([]);
    expect(logs.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('the Quick start answers 404 for an unknown job, resumes after Last-Event-ID and ends with done', async () => {
    expect((await readEvents(running.url, '/jobs/9/progress')).status).toBe(404);
    const { events } = await readEvents(running.url, '/jobs/42/progress', {
      lastEventId: '9',
      until: (e) => e.event === 'done',
      timeout: 5000,
    });
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['progress', '10'],
      ['done', undefined],
    ]);
  });

  it('readEvents() stopping after a count logs nothing at error level', async () => {
    const result = await readEvents(running.url, '/jobs/7/progress', { count: 1 });
    expect(result.events).toHaveLength(1);
    await until(() => left.includes('7'));
    await sleep(50);
    expect(logs.errors()).toEqual([]);
  });

  it('the rejection of an awaited call with the abort reason itself is not logged either', async () => {
    const res = await openRaw(`${running.url}/jobs/8/fetching`);
    await res.waitFor((text) => text.includes('start'));
    res.destroy();
    await until(() => left.includes('8'));
    await sleep(50);
    expect(logs.errors()).toEqual([]);
    expect(logs.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('a 4xx HttpException mid-stream reaches the client and is not logged as an error', async () => {
    const res = await openRaw(`${running.url}/jobs/1/quota`);
    expect(await res.waitForEnd()).toBe('data: one\n\nevent: error\ndata: {"status":403,"message":"Quota exceeded"}\n\n');
    expect(logs.errors()).toEqual([]);
  });

  it('an internal error is logged with its stack, never sent, and the log line has no query string', async () => {
    const res = await openRaw(`${running.url}/jobs/1/broken?token=s3cret-token`);
    expect(await res.waitForEnd()).toBe('data: one\n\nevent: error\ndata: {"status":500,"message":"Internal server error"}\n\n');
    const errors = logs.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.text).toContain('database password is hunter2');
    expect(errors[0]!.text).toContain('JobsController.broken (GET /jobs/1/broken)');
    expect(logs.lines.some((line) => line.text.includes('s3cret-token'))).toBe(false);
  });
});
