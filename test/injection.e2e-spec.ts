/** Field injection never reaches the wire: the stream ends with the error frame instead. */
import { Controller, Module, Param } from '@nestjs/common';
import { Sse, SseEvent, SseModule } from '../lib/index.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';

const HOSTILE: Record<string, () => unknown> = {
  'lf-in-event': () => ({ data: 'x', event: 'evil\ndata: injected' }),
  'cr-in-event': () => ({ data: 'x', event: 'evil\rdata: injected' }),
  'crlf-in-id': () => ({ data: 'x', id: '1\r\ndata: injected' }),
  'nul-in-id': () => ({ data: 'x', id: '1\u00002' }),
  'negative-retry': () => ({ data: 'x', retry: -1 }),
  'float-retry': () => ({ data: 'x', retry: 1.5 }),
  'string-retry': () => ({ data: 'x', retry: '1000' }),
  'type-alias-with-lf': () => ({ data: 'x', type: 'a\nb' }),
  'sse-event-lf-in-id': () => new SseEvent({ data: 'x', id: 'a\nb' }),
};

@Controller()
class InjectionController {
  @Sse('hostile/:name')
  async *hostile(@Param('name') name: string) {
    yield 'before';
    yield HOSTILE[name]();
    yield 'never';
  }

  @Sse('comment')
  comment() {
    return [{ comment: 'line one\ndata: not an event\n\nstill comment' }, 'after'];
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [InjectionController] })
class InjectionModule {}

@Module({ controllers: [InjectionController] })
class WithoutSseModule {}

describe.each(PLATFORMS)('injection (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, InjectionModule);
  });
  afterAll(() => running.close());

  it.each(Object.keys(HOSTILE))('%s is never written; the stream ends with one error frame', async (name) => {
    const res = await openRaw(`${running.url}/hostile/${name}`);
    const text = await res.waitForEnd();
    expect(text).toBe('data: before\n\nevent: error\ndata: {"status":500,"message":"Internal server error"}\n\n');
    expect(text).not.toContain('injected');
  });

  it('a comment with line breaks stays a comment and dispatches no event', async () => {
    const res = await openRaw(`${running.url}/comment`);
    const text = await res.waitForEnd();
    expect(text).toBe(': line one\n: data: not an event\n:\n: still comment\n\ndata: after\n\n');
    expect(parseSse(text).events.map((e) => e.data)).toEqual(['after']);
    const es = recordEventSource(`${running.url}/comment`);
    await es.waitForEvents(1);
    es.close();
    expect(es.events[0].data).toBe('after');
  });
});

describe.each(PLATFORMS)('without SseModule (%s)', (platform) => {
  it('still streams, with the default options', async () => {
    const running = await startApp(platform, WithoutSseModule);
    try {
      const res = await openRaw(`${running.url}/comment`);
      expect(res.status).toBe(200);
      expect(parseSse(await res.waitForEnd()).events.map((e) => e.data)).toEqual(['after']);
    } finally {
      await running.close();
    }
  });
});
