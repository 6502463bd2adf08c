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

export class RecordedStream {
  private readonly frames: EncodedFrame[] = [];
  private readonly followers = new Set<HubSink>();
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
    for (const follower of [...this.followers]) follower.complete();
    this.followers.clear();
  }

  /** True when a client that saw `lastEventId` has seen everything and nothing more will come. */
  fullyDelivered(lastEventId: string | undefined): boolean {
    return !this.running && lastEventId !== undefined && lastEventId === (this.lastId ?? '0');
  }

  /**
   * Replays what was recorded after `lastEventId`, paced by the socket, then follows live values;
   * completes when the producer is done.
   */
  follow(lastEventId: string | undefined): HubSource {
    return new HubSource((sink) => {
      let next = parseSeq(lastEventId);
      const catchUp = async (): Promise<void> => {
        // Follows once caught up, in the same synchronous step as the last check: nothing can be recorded in between.
        while (next < this.frames.length) {
          if (sink.closed) return;
          const frame = this.frames[next++]!;
          if (!sink.write) sink.next(frame);
          else if (!sink.write(frame) && !(await sink.drained?.())) return;
        }
        if (sink.closed) return;
        if (!this.running) sink.complete();
        else this.followers.add(sink);
      };
      catchUp().catch((err: unknown) => sink.error(err));
      return () => this.followers.delete(sink);
    });
  }

  /** Releases the recording (after its ttl). */
  dispose(): void {
    this.frames.length = 0;
    for (const follower of this.followers) follower.complete();
    this.followers.clear();
  }

  private push(frame: EncodedFrame): void {
    this.frames.push(frame);
    for (const follower of this.followers) follower.next(frame);
  }
}

/** "17" -> 17 frames already seen. Anything else (absent, foreign) replays from the start. */
function parseSeq(lastEventId: string | undefined): number {
  if (lastEventId === undefined || !/^\d{1,15}$/.test(lastEventId)) return 0;
  return Number(lastEventId);
}
