/**
 * The one interface a stream talks to: head, frames, drain, close detection, end. Everything
 * that touches `req`/`res`/sockets lives behind it (node-http-connection.ts).
 */
import type { SseWriterName } from './writers/frame-writer.js';
import type { ChunkableFrame } from './http-chunk.js';

export type { SseWriterName };

export interface SseConnection {
  /** A HEAD request: the head is the whole answer. */
  readonly isHead: boolean;
  /** `METHOD /path` without the query string (tokens live there), for log lines. */
  readonly label: string;
  /** True once the client has gone (its socket closed before we ended the response). */
  readonly clientGone: boolean;
  /** The writer that carries the frames, once the head is sent. */
  readonly writer: SseWriterName | undefined;
  /**
   * Takes the response over and sends the head (the route's status and headers, ours on top).
   * Throws, with nothing sent and the response still the framework's, when a header cannot be sent.
   */
  sendHead(): void;
  /** 204 No Content (the response is still the framework's until now). */
  noContent(): void;
  /** Writes one whole frame. False when the socket wants the writer to wait for drain. */
  write(frame: string | Buffer): boolean;
  /**
   * Writes a frame that many streams write (a hub broadcast, a heartbeat): its wire form is built
   * once for all. `alone`: the only write of this tick (a heartbeat), not worth gathering.
   */
  writeShared(frame: ChunkableFrame, alone?: boolean): boolean;
  /** Bytes written but not yet handed to the kernel. */
  readonly pendingBytes: number;
  /** True when the socket asked the writer to wait for drain. */
  readonly needsDrain: boolean;
  /** The socket's (or response's) buffer size past which it asks to wait. */
  readonly highWaterMark: number;
  /** Resolves true once the socket drained, false if the client left first. */
  drained(): Promise<boolean>;
  /**
   * Calls `listener` once when the client goes away (its socket closes) while the stream is
   * neither ended nor destroyed by us. One listener per connection.
   */
  onClientGone(listener: () => void): void;
  /** Ends the body after what was written. With `closeSocket`, the socket closes once the last bytes are out. */
  end(closeSocket: boolean): void;
  /** Drops the connection at once. */
  destroy(): void;
  /** Resolves once the response is flushed or its socket is closed. */
  flushed(): Promise<void>;
}
