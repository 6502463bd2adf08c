import { httpChunk, sharedHttpChunk } from './http-chunk.js';

describe('httpChunk', () => {
  it('frames a text frame with its UTF-8 byte length in hex', () => {
    expect(httpChunk('data: a\n\n')).toBe('9\r\ndata: a\n\n\r\n');
    // "é" is two bytes, "😀" four: the size line counts bytes, not UTF-16 units.
    expect(httpChunk('data: é😀\n\n')).toBe('e\r\ndata: é😀\n\n\r\n');
  });

  it('frames a buffer the same way', () => {
    const frame = Buffer.from('data: ' + 'x'.repeat(300) + '\n\n');
    const chunk = httpChunk(frame) as Buffer;
    expect(chunk.toString('latin1')).toBe(`${frame.length.toString(16)}\r\n${frame.toString('latin1')}\r\n`);
  });

  it('builds the chunk of a shared frame once', () => {
    const frame = { bytes: Buffer.from('id: 1\ndata: x\n\n') };
    const first = sharedHttpChunk(frame);
    expect(sharedHttpChunk(frame)).toBe(first);
    expect(first.toString()).toBe('f\r\nid: 1\ndata: x\n\n\r\n');
    expect(sharedHttpChunk({ bytes: frame.bytes })).not.toBe(first);
  });
});
