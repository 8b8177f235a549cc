import type { AbstractHttpAdapter } from '@nestjs/core';

/** What a browser-flow route answers; the controller writes it through the HTTP adapter. */
export type BrowserAnswer =
  | { kind: 'redirect'; url: string; status: 302 | 303 }
  | {
      kind: 'page';
      status: number;
      html: string;
      /** CSP `frame-ancestors` sources: `'none'` for pages that must not be framed, the OP's origin for front-channel. */
      frameAncestors: string;
    };

/** Writes a browser answer through the HTTP adapter, on Express and Fastify alike. Never cached. */
export function writeBrowserAnswer(adapter: AbstractHttpAdapter, response: unknown, answer: BrowserAnswer): void {
  adapter.setHeader(response, 'Cache-Control', 'no-store');
  if (answer.kind === 'redirect') {
    adapter.redirect(response, answer.status, answer.url);
    return;
  }
  adapter.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
  adapter.setHeader(response, 'Content-Security-Policy', `default-src 'none'; frame-ancestors ${answer.frameAncestors}`);
  adapter.setHeader(response, 'X-Content-Type-Options', 'nosniff');
  if (answer.frameAncestors === "'none'") {
    adapter.setHeader(response, 'X-Frame-Options', 'DENY');
  } else {
    // The OP frames this page; an app-wide X-Frame-Options (e.g. helmet's) would block it. CSP frame-ancestors decides.
    (response as { removeHeader?: (name: string) => void }).removeHeader?.('X-Frame-Options');
  }
  adapter.reply(response, answer.html, answer.status);
}
