/**
 * One detached producer's output, recorded frame by frame under its key. Every value is
 * recorded before it is fanned out to the clients following it, so a client that resumes with
 * a Last-Event-ID gets exactly what it missed.
 */
import { HttpException } from '@nestjs/common';
import { HubSource, type HubSink } from '../hub/hub-source.js';
import { SSE_ERROR_EVENT } from '../sse.constants.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import { encodeFields, encodeValue, withoutId, type SseSerializer } from '../wire/encode-frame.js';

export type RecordedStreamStatus = 'running' | 'complete' | 'error' | 'stopped';

/** Event name of the marker recorded when `stopStream()` stops a producer. */
export const SSE_STOPPED_EVENT = 'stopped';

/** A client following the recording: it reads from `next` on, at the pace of its socket. */
interface Reader {
  readonly sink: HubSink;
  /** Index of the next frame to write. */
  next: number;
  /** Waiting for its socket to drain; it reads on from `next` once it did. */
  waiting: boolean;
}

export class RecordedStream {
  private readonly frames: EncodedFrame[] = [];
  private readonly readers = new Set<Reader>();
  private currentStatus: RecordedStreamStatus = 'running';
  readonly controller = new AbortController();
  finishedAt: number | undefined;

  constructor(
    readonly key: string,
    private readonly serializer: SseSerializer,
  ) {}

  get status(): RecordedStreamStatus {
    return this.currentStatus;
  }

  get running(): boolean {
    return this.currentStatus === 'running';
  }

  /** Frames recorded so far (each has an id: "1", "2", ...). */
  get length(): number {
    return this.frames.length;
  }

  get lastId(): string | undefined {
    return this.frames.at(-1)?.id;
  }

  /** Records one produced value (throws SseFieldError/SseSerializationError for a bad one). */
  record(value: unknown): void {
    if (!this.running) return;
    const id = String(this.frames.length + 1);
    const body = encodeValue(withoutId(value), this.serializer);
    if (body === undefined) return;
    const text = typeof body === 'string' ? body : body.toString('utf8');
    this.push(EncodedFrame.fromText(`id: ${id}\n${text}`, id, value));
  }

  /** Ends the recording: `error` and `stopped` leave a marker frame that resumers see. */
  finish(status: Exclude<RecordedStreamStatus, 'running'>, error?: unknown): void {
    if (!this.running) return;
    const id = String(this.frames.length + 1);
    if (status === 'error') {
      const { status: code, message } =
        error instanceof HttpException
          ? { status: error.getStatus(), message: error.message }
          : { status: 500, message: 'Internal server error' };
      const frame = encodeFields({ event: SSE_ERROR_EVENT, id, data: JSON.stringify({ status: code, message }) });
      this.push(EncodedFrame.fromText(frame, id, undefined));
    } else if (status === 'stopped') {
      this.push(EncodedFrame.fromText(encodeFields({ event: SSE_STOPPED_EVENT, id, data: '' }), id, undefined));
    }
    this.currentStatus = status;
    this.finishedAt = Date.now();
    // Each reader completes once it has written everything.
    for (const reader of [...this.readers]) this.read(reader);
  }

  /** True when a client that saw `lastEventId` has seen everything and nothing more will come. */
  fullyDelivered(lastEventId: string | undefined): boolean {
    return !this.running && lastEventId !== undefined && lastEventId === (this.lastId ?? '0');
  }

  /**
   * Replays what was recorded after `lastEventId`, then follows new values; completes when the
   * producer is done. A follower never buffers: it reads the recording at its socket's pace, so
   * neither a big replay nor a fast producer can drop it.
   */
  follow(lastEventId: string | undefined): HubSource {
    return new HubSource((sink) => {
      const reader: Reader = { sink, next: parseSeq(lastEventId), waiting: false };
      this.readers.add(reader);
      this.read(reader);
      return () => this.readers.delete(reader);
    });
  }

  /** Releases the recording (after its ttl). */
  dispose(): void {
    this.frames.length = 0;
    for (const reader of this.readers) reader.sink.complete();
    this.readers.clear();
  }

  private push(frame: EncodedFrame): void {
    this.frames.push(frame);
    for (const reader of this.readers) this.read(reader);
  }

  /** Writes what `reader` has not seen yet, until its socket asks to wait; completes it once a finished recording is all written. */
  private read(reader: Reader): void {
    const { sink } = reader;
    if (reader.waiting) return;
    while (reader.next < this.frames.length) {
      if (sink.closed) return;
      const frame = this.frames[reader.next++]!;
      if (!sink.write || !sink.drained) {
        sink.next(frame);
        continue;
      }
      if (!sink.write(frame)) {
        reader.waiting = true;
        void sink.drained().then((drained) => {
          reader.waiting = false;
          if (drained && this.readers.has(reader)) this.read(reader);
        });
        return;
      }
    }
    if (!this.running && !sink.closed) {
      this.readers.delete(reader);
      sink.complete();
    }
  }
}

/** "17" -> 17 frames already seen. Anything else (absent, foreign) replays from the start. */
function parseSeq(lastEventId: string | undefined): number {
  if (lastEventId === undefined || !/^\d{1,15}$/.test(lastEventId)) return 0;
  return Number(lastEventId);
}
