import type { EventEmitter } from 'node:events';
import type { ChunkableFrame } from '../http-chunk.js';

/** Which writer carries a stream's frames; reported on the `open` diagnostics channel. */
export type SseWriterName = 'direct-chunks' | 'response';

/**
 * Puts whole frames on the wire once the head is sent. Two strategies: `direct-chunks` (HTTP/1.1
 * chunks straight to the socket) and `response` (`res.write()`, for every other case).
 */
export interface FrameWriter {
  readonly name: SseWriterName;
  /** Writes a frame made for this stream. False when the writer wants the caller to wait for `drain`. */
  write(frame: string | Buffer): boolean;
  /**
   * Writes a frame that many streams write (a hub broadcast, a heartbeat). `alone`: nothing else
   * is written in this tick (a heartbeat), so there is nothing to gather into one write.
   */
  writeShared(frame: ChunkableFrame, alone?: boolean): boolean;
  /** Bytes accepted but not yet handed to the kernel. */
  readonly pendingBytes: number;
  /** True when the writer asked the caller to wait for `drain`. */
  readonly needsDrain: boolean;
  readonly highWaterMark: number;
  /** Emits `drain`. */
  readonly drainEmitter: EventEmitter;
}
