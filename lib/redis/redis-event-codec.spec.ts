import fc from 'fast-check';
import { decodeEntry, decodeMessage, encodeHeader, sentMessage, storedMessage } from './redis-event-codec.js';
import { RedisKeys } from './redis-keys.js';

describe('redis event codec', () => {
  it('round-trips a stored event through an entry and a message: channels, value, meta, the end flag, the frame bytes', () => {
    const header = encodeHeader({ channels: ['a', 'b:c'], value: { n: 1, s: 'line\nbreak' }, meta: { to: 'u1' }, last: true });
    const body = 'event: x\ndata: é😀\ndata: two\n\n';
    for (const event of [decodeEntry('17-3', header, body), decodeMessage(storedMessage('17-3', header, body)).event]) {
      expect(event).toEqual({
        id: '17-3',
        channels: ['a', 'b:c'],
        value: { n: 1, s: 'line\nbreak' },
        meta: { to: 'u1' },
        last: true,
        frame: Buffer.from(`id: 17-3\n${body}`),
      });
    }
  });

  it('leaves out what was not given: no meta, no end flag, an undefined value', () => {
    const event = decodeEntry('1-0', encodeHeader({ channels: ['x'], value: undefined }), ': end\n\n');
    expect(event).toEqual({ id: '1-0', channels: ['x'], value: undefined, frame: Buffer.from('id: 1-0\n: end\n\n') });
    expect('meta' in event || 'last' in event).toBe(false);
  });

  it('carries an unstored event (no id) with its nonce and its frame as sent', () => {
    const frame = Buffer.from('event: join\ndata: {"user":"ann"}\n\n');
    const decoded = decodeMessage(sentMessage({ id: '', channels: ['c', 'd'], frame, value: { user: 'ann' } }, 'inst:7'));
    expect(decoded).toMatchObject({ stored: false, nonce: 'inst:7' });
    expect(decoded.event).toEqual({ id: '', channels: ['c', 'd'], frame, value: { user: 'ann' } });
  });

  it('refuses a value that cannot travel as JSON, saying what to do', () => {
    expect(() => encodeHeader({ channels: ['x'], value: { n: 1n } })).toThrow(
      /cannot be sent to other instances as JSON.*publish plain data/,
    );
  });

  it('round-trips any JSON value and any frame text (property)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
        fc.string(),
        (value, channels, text) => {
          const body = `data: ${text.replace(/[\r\n]/g, ' ')}\n\n`;
          const event = decodeMessage(storedMessage('5-5', encodeHeader({ channels, value }), body)).event;
          expect(event.channels).toEqual(channels);
          expect(event.value).toEqual(JSON.parse(JSON.stringify(value)));
          expect(event.frame.toString()).toBe(`id: 5-5\n${body}`);
        },
      ),
    );
  });

  it('rejects malformed messages with a clear error', () => {
    expect(() => decodeMessage('garbage')).toThrow(/malformed/);
    expect(() => decodeMessage('x1-0\n[]\n\n\n\n')).toThrow(/unknown kind/);
  });
});

describe('redis keys', () => {
  it('puts every key of a hub under one hash tag', () => {
    const keys = new RedisKeys('my-app');
    for (const key of [keys.clock, keys.channels, keys.history('room:{1}'), keys.stream('k'), keys.presence('c'), keys.events('c')]) {
      expect(key.startsWith('{my-app}:')).toBe(true);
    }
    expect(new RedisKeys().tag).toBe('{sse}');
  });

  it('refuses a prefix that would break the hash tag', () => {
    for (const bad of ['', 'a{b', 'c}', 7 as unknown as string]) expect(() => new RedisKeys(bad)).toThrow(/keyPrefix/);
  });
});
