import { Injectable, type MessageEvent } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';

/**
 * The app's own events for the pages' live connections, keyed by the SSE request: the timeline
 * goes to every open page, a logout explanation to the one page it ends (from the library's
 * `liveConnections.beforeClose`, which names the connection by that request).
 */
@Injectable()
export class PageStreams {
  private readonly open = new Map<object, Subject<MessageEvent>>();

  /** The events for the page whose stream is `request`, until it goes away. */
  eventsFor(request: object): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const events = new Subject<MessageEvent>();
      this.open.set(request, events);
      const subscription = events.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        this.open.delete(request);
      };
    });
  }

  sendTo(request: unknown, event: MessageEvent): void {
    if (typeof request === 'object' && request !== null) this.open.get(request)?.next(event);
  }

  broadcast(event: MessageEvent): void {
    for (const events of this.open.values()) events.next(event);
  }
}
