import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FrameWriter } from './frame-writer.js';
import type { ChunkableFrame } from '../http-chunk.js';

/** The buffer state of an HTTP/1 response, or of the stream under an HTTP/2 compatibility response. */
interface WritableState extends EventEmitter {
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly writableHighWaterMark: number;
}

function writableStateOf(response: ServerResponse): WritableState {
  if (typeof response.writableLength === 'number' && typeof response.writableNeedDrain === 'boolean') return response;
  // Http2ServerResponse keeps its buffer on its Http2Stream.
  const stream = (response as { stream?: WritableState }).stream;
  return stream ?? response;
}

/** Frames through `res.write()`: HTTP/1.0, HTTP/2, a replaced `res.write` (compression), a queued pipelined response. */
export class ResponseWriter implements FrameWriter {
  readonly name = 'response' as const;
  private readonly state: WritableState;

  constructor(private readonly response: ServerResponse) {
    this.state = writableStateOf(response);
  }

  write(frame: string | Buffer): boolean {
    return this.response.write(frame);
  }

  writeShared(frame: ChunkableFrame): boolean {
    return this.response.write(frame.bytes);
  }

  get pendingBytes(): number {
    return this.state.writableLength;
  }

  get needsDrain(): boolean {
    return this.state.writableNeedDrain;
  }

  get highWaterMark(): number {
    return this.state.writableHighWaterMark;
  }

  get drainEmitter(): EventEmitter {
    return this.state;
  }
}
