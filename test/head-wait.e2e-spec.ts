/**
 * An async generator's body up to its first `yield` is "before the stream": a throw there is a
 * real status (404), while a slow first value still gets its head when the wait ends.
 */
import { Controller, Module, NotFoundException, Param } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { NEVER } from 'rxjs';
import { Sse, SseModule } from '../lib/index.js';
import { recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const jobs = new Map([['1', { steps: ['queued', 'running', 'done'] }]]);
let releaseFirstValue: (() => void) | undefined;

async function findJob(id: string) {
  await sleep(5);
  return jobs.get(id);
}

@Controller('jobs')
class JobsController {
  @Sse(':id/events')
  async *job(@Param('id') id: string) {
    const job = await findJob(id);
    if (!job) throw new NotFoundException(`No job ${id}`);
    for (const step of job.steps) yield step;
  }

  @Sse('slow/first')
  async *slowFirst() {
    await new Promise<void>((resolve) => (releaseFirstValue = resolve));
    yield 'finally';
  }

  @Sse(':id/eager', { headWaitMs: 0 })
  async *eager(@Param('id') id: string) {
    const job = await findJob(id);
    if (!job) throw new NotFoundException(`No job ${id}`);
    yield* job.steps;
  }

  @Sse('quiet/observable')
  quiet() {
    return NEVER;
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [JobsController] })
class HeadWaitModule {}

describe.each(PLATFORMS)('head wait (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, HeadWaitModule);
  });
  afterAll(() => running.close());

  it('a NotFoundException thrown before the first yield answers 404 through the exception filters', async () => {
    const res = await openRaw(`${running.url}/jobs/404/events`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(await res.waitForEnd())).toMatchObject({ statusCode: 404, message: 'No job 404' });
  });

  it('an EventSource gets the 404 as an error and stops for good', async () => {
    const source = recordEventSource(`${running.url}/jobs/404/events`);
    await until(() => source.source.readyState === 2);
    expect(source.opens).toBe(0);
    expect(source.errors).toBe(1);
    source.close();
  });

  it('a job that exists streams as usual', async () => {
    const res = await openRaw(`${running.url}/jobs/1/events`);
    expect(res.status).toBe(200);
    expect(await res.waitForEnd()).toBe('data: queued\n\ndata: running\n\ndata: done\n\n');
  });

  it('a slow first value still gets its head when the wait ends (onopen stays prompt)', async () => {
    releaseFirstValue = undefined;
    const res = await openRaw(`${running.url}/jobs/slow/first`);
    // The head is here while the generator is still blocked before its first yield.
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(releaseFirstValue).toBeDefined();
    expect(res.text()).toBe('');
    releaseFirstValue!();
    expect(await res.waitForEnd()).toBe('data: finally\n\n');
  });

  it('headWaitMs: 0 sends the head at once: a later throw is an error event', async () => {
    const res = await openRaw(`${running.url}/jobs/404/eager`);
    expect(res.status).toBe(200);
    expect(await res.waitForEnd()).toBe('event: error\ndata: {"status":404,"message":"No job 404"}\n\n');
  });

  it('an Observable gets its head at once, without a first value', async () => {
    const res = await openRaw(`${running.url}/jobs/quiet/observable`);
    expect(res.status).toBe(200);
    expect(res.text()).toBe('');
    res.destroy();
  });
});
