/** How much a finding matters: `error` breaks single logout, `warning` weakens it, `ok` passed. */
export type Severity = 'error' | 'warning' | 'ok';

/**
 * One result of the doctor. `id` is stable (`discovery.issuer`, `client.frontchannel-logout`,
 * ...) so CI can match on it; `fix` says what to change, empty when nothing needs changing.
 * Messages never contain tokens or secrets.
 */
export interface Finding {
  id: string;
  severity: Severity;
  message: string;
  fix: string;
}

export function ok(id: string, message: string): Finding {
  return { id, severity: 'ok', message, fix: '' };
}

export function warning(id: string, message: string, fix: string): Finding {
  return { id, severity: 'warning', message, fix };
}

export function error(id: string, message: string, fix: string): Finding {
  return { id, severity: 'error', message, fix };
}
