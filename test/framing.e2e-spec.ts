/** Values -> frames over real HTTP, read back by eventsource@4.1.1 and by eventsource-parser on the raw bytes. */
import { Controller, Module, Param } from '@nestjs/common';
import { CleanUp, Sse, SseEvent, SseModule } from '../lib/index.js';
import { parseSse, recordEventSource } from './support/event-source.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';
import { until } from './support/until.js';

const EIGHT_MB = 'x'.repeat(8 * 1024 * 1024 - 3) + 'end';

/** Each case: what the handler yields, and the data a spec client must report. */
const CASES: Record<string, { values: unknown[]; expected: string[] }> = {
  multiline: { values: ['a\nb\n\nc'], expected: ['a\nb\n\nc'] },
  'mixed-line-endings': { values: ['a\r\nb\rc'], expected: ['a\nb\nc'] },
  empty: { values: [''], expected: [''] },
  whitespace: { values: [' ', '  lead', 'trail  ', '\t'], expected: [' ', '  lead', 'trail  ', '\t'] },
  'json-with-newlines': {
    values: [{ text: 'line1\nline2\r\n', nested: { a: [1, 2] } }],
    expected: ['{"text":"line1\\nline2\\r\\n","nested":{"a":[1,2]}}'],
  },
  unicode: {
    values: ['👩‍👩‍👧‍👦 family', '漢字かな交じり文', 'sep\u2028par\u2029end', 'nul\u0000inside', '\ufeffbom-first'],
    expected: ['👩‍👩‍👧‍👦 family', '漢字かな交じり文', 'sep\u2028par\u2029end', 'nul\u0000inside', '\ufeffbom-first'],
  },
  primitives: { values: [42, true, 10n, null], expected: ['42', 'true', '10', 'null'] },
  arrays: { values: [[1, 'two', { three: 3 }]], expected: ['[1,"two",{"three":3}]'] },
  'to-json': { values: [new Date(0)], expected: ['"1970-01-01T00:00:00.000Z"'] },
};

@Controller()
class FramingController {
  @Sse('case/:name')
  case(@Param('name') name: string) {
    return CASES[name].values;
  }

  @Sse('big')
  big() {
    return [EIGHT_MB, 'after'];
  }

  @Sse('many')
  async *many() {
    for (let i = 0; i < 10_000; i++) yield new SseEvent({ id: String(i), data: { i } });
  }

  @Sse('fields')
  fields() {
    return [
      new SseEvent({ event: 'update', id: 'u-1', retry: 1500, data: 'payload' }),
      { comment: 'just a comment\nwith two lines' },
      { data: 'after comment', event: 'named', id: 7 },
    ];
  }

  @Sse('comment-only')
  async *commentOnly(cleanUp: CleanUp) {
    void cleanUp;
    yield new SseEvent({ comment: 'first\nsecond' });
    yield 'real';
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [FramingController] })
class FramingModule {}

describe.each(PLATFORMS)('framing (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, FramingModule);
  });
  afterAll(() => running.close());

  describe.each(Object.keys(CASES))('%s', (name) => {
    const { expected } = CASES[name];

    it('parses back from the raw bytes; every frame is whole and LF-only', async () => {
      const res = await openRaw(`${running.url}/case/${name}`);
      const text = await res.waitForEnd();
      expect(text.endsWith('\n\n')).toBe(true);
      expect(text).not.toContain('\r');
      expect(parseSse(text).events.map((e) => e.data)).toEqual(expected);
    });

    it('reads back the same through eventsource@4.1.1', async () => {
      const es = recordEventSource(`${running.url}/case/${name}`);
      const events = await es.waitForEvents(expected.length);
      es.close();
      expect(events.slice(0, expected.length).map((e) => e.data)).toEqual(expected);
    });
  });

  it('writes exactly the fields of SseEvent and envelopes, in one frame each', async () => {
    const res = await openRaw(`${running.url}/fields`);
    expect(await res.waitForEnd()).toBe(
      'event: update\nid: u-1\nretry: 1500\ndata: payload\n\n' +
        ': just a comment\n: with two lines\n\n' +
        'event: named\nid: 7\ndata: after comment\n\n',
    );
  });

  it('a comment with a newline yields no event', async () => {
    const es = recordEventSource(`${running.url}/comment-only`);
    await es.waitForEvents(1);
    es.close();
    expect(es.events[0].data).toBe('real');
    const res = await openRaw(`${running.url}/comment-only`);
    const parsed = parseSse(await res.waitForEnd());
    expect(parsed.events.map((e) => e.data)).toEqual(['real']);
    expect(parsed.comments).toEqual(['first', 'second']);
  });

  it('carries an 8 MB event whole', async () => {
    const res = await openRaw(`${running.url}/big`);
    const { events } = parseSse(await res.waitForEnd(20_000));
    expect(events).toHaveLength(2);
    expect(events[0].data.length).toBe(EIGHT_MB.length);
    expect(events[0].data === EIGHT_MB).toBe(true);
    expect(events[1].data).toBe('after');
    const es = recordEventSource(`${running.url}/big`);
    await es.waitForEvents(2, 20_000);
    es.close();
    expect(es.events[0].data === EIGHT_MB).toBe(true);
  });

  it('delivers 10,000 events in order', async () => {
    const res = await openRaw(`${running.url}/many`);
    const { events } = parseSse(await res.waitForEnd(20_000));
    expect(events).toHaveLength(10_000);
    events.forEach((event, i) => {
      expect(event.id).toBe(String(i));
      expect(event.data).toBe(`{"i":${i}}`);
    });
    const es = recordEventSource(`${running.url}/many`);
    await es.waitForEvents(10_000, 20_000);
    es.close();
    const inOrder = es.events.slice(0, 10_000).every((e, i) => e.lastEventId === String(i) && e.data === `{"i":${i}}`);
    expect(inOrder).toBe(true);
    await until(() => true);
  });
});
