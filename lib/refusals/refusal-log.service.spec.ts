import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveOptions } from '../options/resolve-options.js';
import { RefusalLog, type Refusal } from './refusal-log.service.js';

const options = resolveOptions({ issuer: 'https://kc.example/realms/demo', clientId: 'app' });
const revoked: Refusal = { channel: 'bearer-guard', reason: 'revoked_sid', status: 401, detail: 'access token has been revoked (sid)' };

describe('RefusalLog.onRefusal', () => {
  afterEach(() => vi.restoreAllMocks());

  it('tells each listener of every refusal, even those the log holds back', () => {
    const warnings = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = new RefusalLog(options);
    const seen: Refusal[] = [];
    log.onRefusal((refusal) => seen.push(refusal));
    log.record(revoked);
    log.record(revoked);
    log.record({ channel: 'backchannel-logout', reason: 'token_invalid', status: 400, detail: 'bad signature', quiet: true });
    expect(seen.map((r) => `${r.channel}:${r.reason}`)).toEqual(['bearer-guard:revoked_sid', 'bearer-guard:revoked_sid', 'backchannel-logout:token_invalid']);
    // The second identical refusal is rate-limited in the log, not for listeners.
    expect(warnings).toHaveBeenCalledTimes(1);
  });

  it('stops telling a listener once it unsubscribes', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = new RefusalLog(options);
    const listener = vi.fn();
    const unsubscribe = log.onRefusal(listener);
    log.record(revoked);
    unsubscribe();
    log.record(revoked);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('logs a failing listener and still counts the refusal and tells the others', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const log = new RefusalLog(options);
    const after = vi.fn();
    log.onRefusal(() => {
      throw new Error('listener broke');
    });
    log.onRefusal(after);
    expect(() => log.record(revoked)).not.toThrow();
    expect(after).toHaveBeenCalledWith(revoked);
    expect(log.counts()).toEqual({ 'bearer-guard:revoked_sid': 1 });
    expect(errors).toHaveBeenCalledWith('onRefusal listener failed: listener broke');
  });
});
