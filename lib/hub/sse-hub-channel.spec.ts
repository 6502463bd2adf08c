import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { EncodedFrame } from '../wire/encoded-frame.js';
import { SseHub } from './sse-hub.js';

type RoomEvents = { message: { text: string }; join: { user: string } };

describe('SseHubChannel', () => {
  let hub: SseHub;
  beforeEach(() => {
    hub = new SseHub();
  });
  afterEach(() => hub.close());

  it('publishes { event, data } with the hub id, and subscribes to the same channel', async () => {
    const room = hub.channel<RoomEvents>('room:1');
    const events: EventSourceMessage[] = [];
    const values: unknown[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const sub = room.subscribe().subscribe((frame: EncodedFrame) => {
      values.push(frame.value);
      parser.feed(frame.bytes.toString('utf8'));
    });
    const id = await room.publish('message', { text: 'hi' });
    await room.publish('join', { user: 'ann' }, { meta: { private: false } });
    sub.unsubscribe();
    expect(events).toEqual([
      { id, event: 'message', data: '{"text":"hi"}' },
      { id: expect.stringMatching(/^\d+-\d+$/), event: 'join', data: '{"user":"ann"}' },
    ]);
    expect(values).toEqual([
      { event: 'message', data: { text: 'hi' } },
      { event: 'join', data: { user: 'ann' } },
    ]);
    expect(room.connections()).toBe(0);
  });

  it('reaches every channel of a multi-channel view, and resumes like hub.subscribe()', async () => {
    const both = hub.channel<RoomEvents>(['a', 'b']);
    const first = await hub.channel<RoomEvents>('a').publish('message', { text: 'one' });
    await both.publish('message', { text: 'two' });
    const seen: unknown[] = [];
    const sub = both.subscribe({ lastEventId: first }).subscribe((frame) => seen.push(frame.value));
    await new Promise((resolve) => setImmediate(resolve));
    sub.unsubscribe();
    expect(seen).toEqual([{ event: 'message', data: { text: 'two' } }]);
  });

  it('refuses a channel name the hub would refuse', () => {
    expect(() => hub.channel('')).toThrow(/hub\.channel\(channels, \.\.\.\): channels must be a non-empty string/);
  });
});
