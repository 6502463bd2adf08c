/**
 * Remembers the sockets that carry an SSE stream, so the page's "Simulate a network drop"
 * button can cut them from the server side and show `EventSource` resuming with Last-Event-ID.
 */
import { Injectable } from '@nestjs/common';
import type { Socket } from 'node:net';

interface IncomingRequest {
  headers: { accept?: string };
  socket: Socket;
}

interface OutgoingResponse {
  once(event: 'close', listener: () => void): unknown;
}

@Injectable()
export class StreamSocketsService {
  private readonly sockets = new Set<Socket>();

  /** Express middleware: an `Accept: text/event-stream` request marks its socket as a stream's. */
  readonly middleware = (req: IncomingRequest, res: OutgoingResponse, next: () => void): void => {
    const socket = req.socket;
    if (req.headers.accept?.includes('text/event-stream')) {
      this.sockets.add(socket);
      // Only while the stream's response lasts: a kept-alive socket may carry other requests next.
      res.once('close', () => this.sockets.delete(socket));
    }
    next();
  };

  /** Destroys every socket that carries a stream, as a network failure would. */
  dropAll(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return count;
  }
}
