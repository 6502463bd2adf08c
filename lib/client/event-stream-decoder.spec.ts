import { createEventStreamDecoder } from './event-stream-decoder.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds the chunks one by one; returns [data, lastEventId] per message and when each arrived. */
function decode(chunks: (string | Uint8Array)[]) {
  const decoder = createEventStreamDecoder({ keepComments: true });
  const arrivals: [string, string, number][] = [];
  chunks.forEach((chunk, i) => {
    for (const m of decoder.push(typeof chunk === 'string' ? bytes(chunk) : chunk)) arrivals.push([m.data, m.lastEventId, i]);
  });
  for (const m of decoder.end()) arrivals.push([m.data, m.lastEventId, chunks.length]);
  return { arrivals, comments: decoder.comments };
}

describe('createEventStreamDecoder', () => {
  it.each([
    ['LF', ['data: a\n\n'], [['a', '', 0]]],
    ['CRLF', ['data: a\r\n\r\n'], [['a', '', 0]]],
    [
      'CR only, dispatched with its own chunk',
      ['data: a\r\r', 'data: b\r\r'],
      [
        ['a', '', 0],
        ['b', '', 1],
      ],
    ],
    ['CRLF split across chunks is one line end', ['data: a\r', '\ndata: b\r\n\r\n'], [['a\nb', '', 1]]],
    ['CR at the very end of the stream ends the last frame', ['data: a\r\r'], [['a', '', 0]]],
    ['an unterminated last frame is dropped', ['data: a\n\ndata: b\n'], [['a', '', 0]]],
    ['a BOM split across chunks is dropped', [new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf, 0x64]), 'ata: a\n\n'], [['a', '', 2]]],
    [
      'a UTF-8 character split across chunks',
      [new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xc3]), new Uint8Array([0xbc, 0x0a, 0x0a])],
      [['ü', '', 1]],
    ],
    [
      'the id outlives its frame',
      ['id: 7\ndata: a\n\ndata: b\n\n'],
      [
        ['a', '7', 0],
        ['b', '7', 0],
      ],
    ],
    [
      'an empty id resets it',
      ['id: 7\ndata: a\n\nid\ndata: b\n\n'],
      [
        ['a', '7', 0],
        ['b', '', 0],
      ],
    ],
  ] as [string, (string | Uint8Array)[], [string, string, number][]][])('%s', (_rule, chunks, expected) => {
    expect(decode(chunks).arrivals).toEqual(expected);
  });

  it('keeps comments and the retry in effect', () => {
    const decoder = createEventStreamDecoder({ keepComments: true });
    const messages = decoder.push(bytes(': hi\nretry: 25\n\ndata: a\n\n'));
    expect(decoder.comments).toEqual(['hi']);
    expect(messages).toEqual([{ event: 'message', data: 'a', id: undefined, lastEventId: '', retry: 25 }]);
  });
});
