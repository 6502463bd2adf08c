/**
 * `@SseEvents()` at run time: values are sent as they are (the declaration never changes the
 * wire), and in development a value of an undeclared event is logged as a warning, once per
 * route and event name, whatever the source (generator, Observable, hub subscription). In
 * production nothing is checked. Real HTTP, both platforms.
 */
import { Controller, Module, type Type } from '@nestjs/common';
import { isObservable, of } from 'rxjs';
import {
  LastEventId,
  Sse,
  SseEvent,
  SseEvents,
  SseHub,
  SseModule,
  type SseEventsDeclaration,
  type SseEventsOf,
  type SseEventsOptions,
} from '../lib/index.js';
import { connectSse } from '../lib/client/index.js';
import { readEvents } from '../lib/testing/index.js';
import { CapturedLogs } from './support/captured-logs.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { until } from './support/until.js';

class ProgressDto {
  percent!: number;
}

const jobEvents = { progress: ProgressDto, done: String } as const;
type JobEvents = SseEventsOf<typeof jobEvents>;
const chatEvents = { message: String, join: String } as const;
type ChatEvents = SseEventsOf<typeof chatEvents>;

/** `@SseEvents()` as JavaScript (or a cast) sees it: no compile-time check, which is what the run-time check is for. */
const UntypedSseEvents = SseEvents as (events: SseEventsDeclaration, options?: SseEventsOptions) => MethodDecorator;

/** Fresh classes per platform: a warning is logged once per route (handler) and event name, per process. */
function eventsModule() {
  @Controller()
  class EventsController {
    constructor(private readonly hub: SseHub) {}

    @Sse('declared')
    @SseEvents(jobEvents)
    async *declared() {
      yield new SseEvent({ event: 'progress', data: { percent: 50 } });
      yield new SseEvent({ event: 'done', data: 'ok' });
    }

    // Below @Sse() this time: the declaration is found either way.
    @UntypedSseEvents(jobEvents)
    @Sse('undeclared')
    undeclared(): unknown {
      return [
        { event: 'progress', data: { percent: 1 } },
        { event: 'finished', data: 'a' },
        { event: 'finished', data: 'b' },
        'a bare string is a message',
        { comment: 'padding: no event' },
      ];
    }

    @Sse('observable')
    @UntypedSseEvents(jobEvents)
    observable(): unknown {
      return of({ type: 'tick', data: 1 });
    }

    @Sse('room')
    @UntypedSseEvents(chatEvents, { resumable: 'hub' })
    room(@LastEventId() lastEventId?: string): unknown {
      return this.hub.subscribe('room', { lastEventId });
    }
  }

  @Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [EventsController] })
  class EventsModule {}
  return { EventsModule, EventsController };
}

describe.each(PLATFORMS)('@SseEvents at run time (%s)', (platform) => {
  let running: RunningApp;
  const logs = new CapturedLogs();
  const warnings = (): string[] => logs.lines.filter((line) => line.level === 'warn').map((line) => line.text);
  const previousEnv = process.env.NODE_ENV;

  let controllerClass: Type<unknown>;

  beforeAll(async () => {
    const { EventsModule, EventsController } = eventsModule();
    controllerClass = EventsController;
    running = await startApp(platform, EventsModule, { logger: logs });
  });
  afterAll(async () => {
    process.env.NODE_ENV = previousEnv;
    await running.close();
  });
  beforeEach(() => logs.clear());

  it('leaves a handler called without a request (a unit test, another handler) returning what it returns', () => {
    const controller = running.app.get(controllerClass) as { declared(): unknown; observable(): unknown };
    const generator = controller.declared();
    expect(typeof (generator as AsyncGenerator)[Symbol.asyncIterator]).toBe('function');
    expect(isObservable(controller.observable())).toBe(true);
  });

  it('sends declared events as they are, and warns about nothing', async () => {
    const { events } = await readEvents(running.url, '/declared', { until: (e) => e.event === 'done' });
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['progress', '{"percent":50}'],
      ['done', 'ok'],
    ]);
    expect(warnings()).toEqual([]);
  });

  it('sends an undeclared event too, and warns once per route and event name', async () => {
    for (let i = 0; i < 2; i++) {
      const { events } = await readEvents(running.url, '/undeclared', { count: 4 });
      expect(events.map((e) => e.event)).toEqual(['progress', 'finished', 'finished', 'message']);
    }
    const lines = warnings();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(
      'EventsController.undeclared sent event "finished", which its @SseEvents() does not declare (declared: progress, done)',
    );
    expect(lines[1]).toContain('EventsController.undeclared sent event "message"');
  });

  it('checks what an Observable emits', async () => {
    await readEvents(running.url, '/observable', { count: 1 });
    await until(() => warnings().length > 0, 2000, 'the warning');
    expect(warnings()).toEqual([expect.stringContaining('EventsController.observable sent event "tick"')]);
  });

  it('checks a hub subscription: published events (join published as an event), never the gap notice', async () => {
    const hub = running.app.get(SseHub);
    const room = hub.channel<ChatEvents>('room');
    // An id from before this hub existed: unknown, so the gap notice comes first.
    const reading = readEvents(running.url, '/room', { lastEventId: '1-0', count: 3 });
    await until(() => hub.connections('room') === 1, 2000, 'the subscriber');
    await room.publish('join', 'ann');
    await hub.publish('room', { event: 'kick', data: 'bob' });
    await hub.publish('room', { event: 'kick', data: 'carl' });
    const { events } = await reading;
    expect(events.map((e) => e.event)).toEqual(['sse-gap', 'join', 'kick']);
    expect(warnings()).toEqual([expect.stringContaining('EventsController.room sent event "kick"')]);
  });

  it('is read by the typed client: JSON payloads parsed, text events left as text', async () => {
    const seen: unknown[] = [];
    for await (const msg of connectSse<JobEvents>(`${running.url}/declared`, { json: true, textEvents: ['done'], reconnect: false })) {
      if (msg.event === 'progress') seen.push(msg.data.percent);
      else seen.push(msg.data.toUpperCase());
    }
    expect(seen).toEqual([50, 'OK']);
  });

  it('checks nothing in production', async () => {
    process.env.NODE_ENV = 'production';
    try {
      const { events } = await readEvents(running.url, '/undeclared', { count: 4 });
      expect(events.map((e) => e.event)).toEqual(['progress', 'finished', 'finished', 'message']);
      expect(warnings()).toEqual([]);
    } finally {
      process.env.NODE_ENV = previousEnv;
    }
  });
});
