/**
 * Compile-time contract of the typed events: `tsc -p test/types` must pass, so every
 * `@ts-expect-error` below is an error the types catch (an unused one fails the build too).
 * Run by test/event-types.e2e-spec.ts.
 */
import { Controller } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import { connectSse } from '../../lib/client/index.js';
import {
  LastEventId,
  Sse,
  SseEvent,
  SseEvents,
  SseHub,
  ssePayload,
  type SseEventStream,
  type SseEventValue,
  type SseEventsOf,
} from '../../lib/index.js';

class ProgressDto {
  percent!: number;
}
class DoneDto {
  url!: string;
}
class MessageDto {
  from!: string;
  text!: string;
}

const jobEvents = { progress: ProgressDto, done: DoneDto, log: String, results: [DoneDto] } as const;
type JobEvents = SseEventsOf<typeof jobEvents>;

const chatEvents = {
  message: MessageDto,
  join: ssePayload<{ user: string }>({ type: 'object', properties: { user: { type: 'string' } }, required: ['user'] }),
} as const;
type ChatEvents = SseEventsOf<typeof chatEvents>;

// The map derived from the declaration is the plain type a client would write by hand.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const derived: Equal<JobEvents, { progress: ProgressDto; done: DoneDto; log: string; results: DoneDto[] }> = true;
export const handWritten: Equal<ChatEvents, { message: MessageDto; join: { user: string } }> = true;

@Controller()
export class Routes {
  constructor(private readonly hub: SseHub) {}

  @Sse('annotated')
  @SseEvents(jobEvents)
  async *annotated(): SseEventStream<JobEvents> {
    yield { event: 'progress', data: { percent: 10 }, id: '1' };
    yield { type: 'log', data: 'text' }; // Nest's MessageEvent alias
    yield new SseEvent({ event: 'done', data: { url: '/r' } });
    yield { event: 'results', data: [{ url: '/a' }] };
    // @ts-expect-error: an event the map does not declare
    yield { event: 'progres', data: { percent: 10 } };
    // @ts-expect-error: a payload of the wrong type
    yield { event: 'progress', data: { percent: '10' } };
    // @ts-expect-error: a bare value is a `message`, which JobEvents does not declare
    yield { percent: 10 };
  }

  // No annotation: SseEvent keeps its literal event name, so the decorator checks the inferred type.
  @Sse('inferred')
  @SseEvents(jobEvents)
  async *inferred() {
    yield new SseEvent({ event: 'progress', data: { percent: 10 } });
    yield new SseEvent({ event: 'done', data: { url: '/r' } });
  }

  @Sse('undeclared')
  // @ts-expect-error: the generator yields an event the map does not declare
  @SseEvents(jobEvents)
  async *undeclared() {
    yield new SseEvent({ event: 'finished', data: { url: '/r' } });
  }

  @Sse('wrong-payload')
  // @ts-expect-error: `done` carries a DoneDto, not a number
  @SseEvents(jobEvents)
  async *wrongPayload() {
    yield new SseEvent({ event: 'done', data: 42 });
  }

  @Sse('observable')
  @SseEvents({ tick: Number })
  ticks(): Observable<SseEventValue<{ tick: number }>> {
    return of({ event: 'tick', data: 1 } as const);
  }

  @Sse('numbers')
  // @ts-expect-error: bare numbers are `message` events, which JobEvents does not declare
  @SseEvents(jobEvents)
  numbers(): Observable<number> {
    return of(1, 2, 3);
  }

  @Sse('maybe')
  @SseEvents(jobEvents)
  maybe(done: boolean): SseEventStream<JobEvents> | null {
    return done ? null : this.annotated(); // null: 204
  }

  @Sse('room')
  @SseEvents(chatEvents, { resumable: 'hub' })
  room(@LastEventId() lastEventId?: string) {
    return this.hub.channel<ChatEvents>('room').subscribe({ lastEventId });
  }

  @Sse('room-later')
  @SseEvents(chatEvents)
  async roomLater() {
    return this.hub.channel<ChatEvents>('room').subscribe();
  }

  @Sse('untyped-room')
  // @ts-expect-error: an untyped subscription may carry anything
  @SseEvents(chatEvents)
  untypedRoom() {
    return this.hub.subscribe('room');
  }

  @Sse('other-room')
  // @ts-expect-error: a channel of another event map
  @SseEvents(chatEvents)
  otherRoom() {
    return this.hub.channel<JobEvents>('jobs').subscribe();
  }

  // A message route: the data itself, or an envelope without a name.
  @Sse('messages')
  @SseEvents({ message: MessageDto })
  messages(): Array<SseEventValue<{ message: MessageDto }>> {
    return [
      { from: 'ann', text: 'hi' },
      { data: { from: 'bob', text: 'yo' }, id: '2' },
    ];
  }
}

export async function publish(hub: SseHub): Promise<void> {
  const room = hub.channel<ChatEvents>(['room:1', 'room:2']);
  await room.publish('message', { from: 'ann', text: 'hi' });
  await room.publish('join', { user: 'ann' }, { meta: { to: 'bob' } });
  // @ts-expect-error: an event the map does not declare
  await room.publish('mesage', { from: 'ann', text: 'hi' });
  // @ts-expect-error: a payload of the wrong type
  await room.publish('message', { from: 'ann', txt: 'hi' });
  // @ts-expect-error: `join` needs its payload
  await room.publish('join');
  room.subscribe({ filter: (event) => event.value !== undefined });
}

export async function consume(url: string): Promise<string[]> {
  const seen: string[] = [];
  for await (const msg of connectSse<ChatEvents>(url, { json: true })) {
    if (msg.event === 'message') {
      seen.push(`${msg.data.from}: ${msg.data.text}`);
    } else {
      seen.push(`${msg.data.user} joined`); // narrowed to `join`
      // @ts-expect-error: a `join` has no text
      seen.push(msg.data.text);
    }
    const id: string | undefined = msg.id;
    void id;
    // @ts-expect-error: not an event of the map
    if (msg.event === 'leave') break;
  }
  for await (const msg of connectSse<JobEvents>(url, { json: true, textEvents: ['log'] })) {
    if (msg.event === 'log') seen.push(msg.data.toUpperCase());
    if (msg.event === 'results') seen.push(...msg.data.map((r) => r.url));
  }
  // @ts-expect-error: object payloads are parsed with `json: true`
  connectSse<ChatEvents>(url);
  return seen;
}
