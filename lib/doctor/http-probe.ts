import { isPlainObject } from '../utils/is-plain-object.js';

/** An HTTP answer as the doctor saw it, with how long it took. Bodies are capped. */
export interface ProbeAnswer {
  kind: 'answer';
  status: number;
  headers: Headers;
  body: string;
  ms: number;
}

/** A request that got no HTTP answer, with the cause in words a person can act on. */
export interface ProbeFailure {
  kind: 'failure';
  cause: 'refused' | 'not_found' | 'timeout' | 'tls' | 'reset' | 'other';
  description: string;
  ms: number;
}

export type ProbeResult = ProbeAnswer | ProbeFailure;

const MAX_BODY = 1_000_000;

/** One request, never following redirects (a redirect is itself a finding), never throwing. */
export async function probe(url: string, init: RequestInit & { timeoutMs: number }): Promise<ProbeResult> {
  const started = performance.now();
  const { timeoutMs, ...rest } = init;
  try {
    const response = await fetch(url, { ...rest, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.text()).slice(0, MAX_BODY);
    return { kind: 'answer', status: response.status, headers: response.headers, body, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { kind: 'failure', ...describeFailure(err, timeoutMs), ms: Math.round(performance.now() - started) };
  }
}

function describeFailure(err: unknown, timeoutMs: number): Pick<ProbeFailure, 'cause' | 'description'> {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { cause: 'timeout', description: `no answer within ${timeoutMs} ms` };
  }
  const cause = err instanceof Error && err.cause && typeof err.cause === 'object' ? (err.cause as { code?: unknown; message?: unknown }) : {};
  const code = typeof cause.code === 'string' ? cause.code : '';
  const message = typeof cause.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err);
  if (code === 'ECONNREFUSED') return { cause: 'refused', description: 'connection refused (nothing listens there)' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { cause: 'not_found', description: `host name not resolved (${code})` };
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return { cause: 'timeout', description: 'connection timed out' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { cause: 'reset', description: 'connection closed without an answer' };
  if (/CERT|SSL|TLS|SELF_SIGNED/i.test(code) || /certificate/i.test(message)) {
    return { cause: 'tls', description: `TLS failure (${code || message})` };
  }
  return { cause: 'other', description: code ? `${code}: ${message}` : message };
}

/** A JSON object body, or undefined. */
export function jsonObject(answer: ProbeAnswer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(answer.body);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function isJson(answer: ProbeAnswer): boolean {
  return /^application\/([\w.+-]+\+)?json\b/i.test(answer.headers.get('content-type') ?? '');
}

export function isHtml(answer: ProbeAnswer): boolean {
  return /^text\/html\b/i.test(answer.headers.get('content-type') ?? '') || /^\s*<(!doctype|html)/i.test(answer.body);
}
