import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveOptions } from '../options/resolve-options.js';
import { RefusalLog } from './refusal-log.service.js';

afterEach(() => vi.restoreAllMocks());

describe('RefusalLog with several realms', () => {
  it('names the issuer and client of the realm whose route refused, and the primary realm\'s otherwise', () => {
    const lines: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)));
    const log = new RefusalLog(resolveOptions({
      issuer: 'https://kc.example/realms/staff',
      clientId: 'staff-app',
      realms: [{ name: 'partners', issuer: 'https://kc.example/realms/partners', clientId: 'partner-app' }],
    }));
    log.record({ channel: 'backchannel-logout', reason: 'token_invalid', status: 400, detail: 'one', realm: 'partners' });
    log.record({ channel: 'backchannel-logout', reason: 'token_invalid', status: 400, detail: 'two' });
    expect(lines[0]).toMatch(/issuer https:\/\/kc\.example\/realms\/partners, client partner-app$/);
    expect(lines[1]).toMatch(/issuer https:\/\/kc\.example\/realms\/staff, client staff-app$/);
    expect(log.counts()).toEqual({ 'backchannel-logout:token_invalid': 2 });
  });
});
