import { Controller, Req, Sse, UseGuards, type MessageEvent } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import { KeycloakBearerGuard, KeycloakSessionGuard, SseStreams } from '../../lib/index.js';

/** SSE routes opened through the library's helper, one per guard. */
@Controller('sse')
export class SseTestController {
  constructor(private readonly sse: SseStreams) {}

  @Sse('bearer')
  @UseGuards(KeycloakBearerGuard)
  bearer(@Req() request: object): Observable<MessageEvent> {
    return this.sse.open(request, of({ type: 'hello', data: 'hello' }));
  }

  @Sse('session')
  @UseGuards(KeycloakSessionGuard)
  session(@Req() request: object): Observable<MessageEvent> {
    return this.sse.open(request, of({ type: 'hello', data: 'hello' }));
  }
}

export interface SseEvent {
  event: string;
  data: string;
}

/** A real SSE client on `fetch`: the response status, the events parsed as they arrive, the end of the stream. */
export interface SseStream {
  status: number;
  events: SseEvent[];
  ended: Promise<void>;
  isEnded(): boolean;
  abort(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  let ended = false;
  const reading = (async () => {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const event: SseEvent = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event.event = line.slice(6).trim();
            else if (line.startsWith('data:')) event.data += line.slice(5).trim();
          }
          if (block.trim() !== '') events.push(event);
        }
      }
    } catch {
      // Aborted by the test.
    } finally {
      ended = true;
    }
  })();
  return { status: response.status, events, ended: reading, isEnded: () => ended, abort: () => controller.abort() };
}
