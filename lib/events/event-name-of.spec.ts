import { EncodedFrame } from '../wire/encoded-frame.js';
import { SseEvent } from '../wire/sse-event.js';
import { eventNameOf } from './event-name-of.js';

describe('eventNameOf', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a string is a message', 'text', 'message'],
    ['a number is a message', 42, 'message'],
    ['null is JSON data of a message', null, 'message'],
    ['a plain data object is a message', { percent: 10 }, 'message'],
    ['an array is a message', [1, 2], 'message'],
    ['undefined sends nothing', undefined, undefined],
    ['an envelope names its event', { event: 'progress', data: 1 }, 'progress'],
    ["Nest's MessageEvent uses type", { type: 'tick', data: 1 }, 'tick'],
    ['an envelope without a name is a message', { data: 1, id: '3' }, 'message'],
    ['an empty event name is a message', { event: '', data: 1 }, 'message'],
    ['a comment-only envelope dispatches nothing', { comment: 'pad' }, undefined],
    ['an SseEvent names its event', new SseEvent({ event: 'done', data: {} }), 'done'],
    ['an SseEvent without data dispatches nothing', new SseEvent({ event: 'done', comment: 'x' }), undefined],
    ['a hub frame: its event line after the id line', EncodedFrame.fromText('id: 1-0\nevent: join\ndata: {}\n\n', '1-0', {}), 'join'],
    ['a hub frame without an event line is a message', EncodedFrame.fromText('id: 1-0\ndata: x\n\n', '1-0', 'x'), 'message'],
    ['a frame with no data dispatches nothing', EncodedFrame.fromText(': ping\n\n', undefined, undefined), undefined],
    ['a comment that looks like a field is not one', EncodedFrame.fromText(':event: fake\ndata: 1\n\n', undefined, 1), 'message'],
  ])('%s', (_rule, value, expected) => {
    expect(eventNameOf(value)).toBe(expected);
  });
});
