import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RefusalLog, RevocationService, type Refusal } from 'nestjs-keycloak-logout';
import { sessionFingerprint } from '../session-fingerprint.js';
import { LogoutExplainer } from './logout-explainer.js';
import type { LogoutExplanation } from './logout-explanation.js';
import { PageStreams } from './page-streams.js';

/** The SSE event type the pages receive timeline entries with. */
export const TIMELINE_EVENT = 'timeline';

/** What happened, for one line of the timeline. No token, sid or sub: sessions appear as fingerprints. */
export type TimelineEvent =
  | { kind: 'login'; at: number; session: string | null }
  | ({ kind: 'logout' } & LogoutExplanation)
  | { kind: 'refusal'; at: number; channel: Refusal['channel']; reason: string; status: number };

/** A timeline line: the event and its place in this app's sequence (pages merge pushed and fetched lines by it). */
export type TimelineEntry = TimelineEvent & { seq: number };

/** Entries kept; older ones fall off. */
const CAPACITY = 50;

/**
 * The app's recent single-logout events, newest last: logins (from the login callback), logouts
 * this instance learns of (the library's `RevocationService.onLogout`) and refusals (its
 * `RefusalLog.onRefusal`, without the quiet ones). Served as JSON and pushed to open pages.
 */
@Injectable()
export class DemoTimeline implements OnModuleInit, OnModuleDestroy {
  private readonly entries: TimelineEntry[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  private seq = 0;

  constructor(
    private readonly revocations: RevocationService,
    private readonly refusals: RefusalLog,
    private readonly explainer: LogoutExplainer,
    private readonly streams: PageStreams,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.revocations.onLogout((event) => this.add({ kind: 'logout', ...this.explainer.explain(event) })),
      this.refusals.onRefusal((refusal) => {
        // Quiet ones are requests with no credentials at all (every signed-out page view): not news.
        if (refusal.quiet === true) return;
        this.add({ kind: 'refusal', at: Date.now(), channel: refusal.channel, reason: refusal.reason, status: refusal.status });
      }),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe) stop();
  }

  recordLogin(sid: string | undefined): void {
    this.add({ kind: 'login', at: Date.now(), session: sid === undefined ? null : sessionFingerprint(sid) });
  }

  list(): TimelineEntry[] {
    return [...this.entries];
  }

  private add(event: TimelineEvent): void {
    this.seq += 1;
    const entry: TimelineEntry = { ...event, seq: this.seq };
    this.entries.push(entry);
    if (this.entries.length > CAPACITY) this.entries.shift();
    this.streams.broadcast({ type: TIMELINE_EVENT, data: entry });
  }
}
