import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { TokenReplayedError } from '../errors/token-replayed.error.js';
import { resolveOptions } from '../options/resolve-options.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import type { LogoutEvent } from '../revocation/logout-event.interface.js';
import { LocalRevocationBus } from '../revocation/revocation-bus.js';
import { RevocationStore } from '../revocation/revocation-store.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { LogoutTokenClaims } from '../tokens/logout-token-claims.interface.js';
import type { LogoutTokenVerifierService } from '../tokens/logout-token-verifier.service.js';
import { BackchannelLogoutService } from './backchannel-logout.service.js';

const ISSUER = 'https://kc.example/realms/demo';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Stands in for the logout token verifier (its signature and claim checks have tests of their
 * own): a "token" is the key of the claims it carries.
 */
function verifierOf(tokens: Record<string, LogoutTokenClaims>): LogoutTokenVerifierService {
  const verifier: Pick<LogoutTokenVerifierService, 'verify'> = {
    verify: (token) => {
      const claims = tokens[token];
      return claims ? Promise.resolve(claims) : Promise.reject(new TokenInvalidError('signature', 'logout token signature is invalid'));
    },
  };
  return verifier as LogoutTokenVerifierService;
}

function claims(fields: Partial<LogoutTokenClaims>): LogoutTokenClaims {
  return { iss: ISSUER, jti: `jti-${Math.random()}`, iat: nowSeconds(), exp: nowSeconds() + 120, revokeOfflineAccess: false, ...fields };
}

const stops: Array<() => void> = [];
let warnings: string[];
beforeEach(() => {
  vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  warnings = [];
  vi.spyOn(Logger.prototype, 'warn').mockImplementation((line: unknown) => void warnings.push(String(line)));
});
afterEach(() => {
  stops.splice(0).forEach((stop) => stop());
  vi.restoreAllMocks();
});

/** The service on real parts; only the token verifier is a stand-in. */
function setup(tokens: Record<string, LogoutTokenClaims>) {
  const options = resolveOptions({ issuer: ISSUER, clientId: 'app' });
  const store = new RevocationStore();
  const registry = new MemorySessionRegistry();
  const bus = new LocalRevocationBus();
  const revocations = new RevocationService(options, store, registry, bus, new KeycloakLogoutTelemetry(options, store, registry, bus));
  stops.push(() => store.onModuleDestroy(), () => registry.onModuleDestroy());
  const events: LogoutEvent[] = [];
  revocations.onLogout((event) => void events.push(event));
  return { service: new BackchannelLogoutService(options, verifierOf(tokens), registry, revocations), revocations, registry, bus, events };
}

describe('BackchannelLogoutService', () => {
  it("a token with sid revokes that Keycloak session, not the user's other sessions", async () => {
    const { service, revocations } = setup({ 'with-sid': claims({ sub: 'alice', sid: 'kc-1' }) });
    const { revocations: published } = await service.logout('with-sid');
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ type: 'sid', sid: 'kc-1', source: 'backchannel-logout' });
    expect(revocations.revocationReason({ sub: 'alice', sid: 'kc-1', iat: nowSeconds() })).toBe('sid');
    expect(revocations.revocationReason({ sub: 'alice', sid: 'kc-2', iat: nowSeconds() - 60 })).toBeUndefined();
  });

  it('a sub-only token revokes everything issued to sub up to its iat, and the sessions the registry links to it', async () => {
    const iat = nowSeconds() - 30;
    const { service, registry, revocations } = setup({ 'sub-only': claims({ sub: 'alice', iat }) });
    await registry.register({ adapterSessionId: 'sess-1', sid: 'kc-before', sub: 'alice', clientId: 'app', issuedAt: iat - 10, expiresAt: iat + 3_600 });
    const { revocations: published } = await service.logout('sub-only');
    expect(published.map((r) => r.type)).toEqual(['subject', 'sid']);
    expect(published[0]).toMatchObject({ sub: 'alice', issuedBefore: iat, source: 'backchannel-logout' });
    expect(published[1]).toMatchObject({ sid: 'kc-before' });
    expect(revocations.revocationReason({ sub: 'alice', iat })).toBe('subject');
    expect(revocations.revocationReason({ sub: 'alice', iat: iat + 1 })).toBeUndefined();
  });

  it('refuses a replayed jti with TokenReplayedError and publishes nothing for it', async () => {
    const token = claims({ sid: 'kc-replayed', jti: 'same-jti' });
    const { service, bus } = setup({ first: token, again: { ...token }, 'other-issuer': { ...token, iss: 'https://other.example/realms/x' } });
    const publish = vi.spyOn(bus, 'publish');
    await service.logout('first');
    await expect(service.logout('again')).rejects.toBeInstanceOf(TokenReplayedError);
    expect(publish).toHaveBeenCalledTimes(1);
    expect(warnings).toEqual([expect.stringMatching(/^back-channel logout refused: replayed jti /)]);
    expect(warnings[0]).not.toContain('same-jti');
    // The replay key is issuer and jti: another issuer's token with that jti is not a replay.
    await expect(service.logout('other-issuer')).resolves.toBeDefined();
    expect(publish).toHaveBeenCalledTimes(2);
  });

  it('when the logout cannot be recorded, the jti is released so that the OP can retry the same token', async () => {
    const { service, bus, revocations } = setup({ retried: claims({ sid: 'kc-retry' }) });
    const unreachable = new Error('the shared log is unreachable');
    vi.spyOn(bus, 'publish').mockRejectedValueOnce(unreachable);
    const failure = await service.logout('retried').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LogoutFailedError);
    expect(failure).toMatchObject({ reason: 'not_recorded', cause: unreachable });

    await expect(service.logout('retried')).resolves.toMatchObject({ revocations: [{ sid: 'kc-retry' }] });
    expect(revocations.revocationReason({ sid: 'kc-retry' })).toBe('sid');
  });

  it('a library error while recording is passed on as it is, and the jti is released too', async () => {
    const { service, bus } = setup({ unavailable: claims({ sid: 'kc-unavailable' }) });
    const unavailable = new ProviderUnavailableError('the shared revocation log cannot be reached');
    vi.spyOn(bus, 'publish').mockRejectedValueOnce(unavailable);
    await expect(service.logout('unavailable')).rejects.toBe(unavailable);
    await expect(service.logout('unavailable')).resolves.toBeDefined();
  });

  it('passes revoke_offline_access on to the revocations and to onLogout listeners', async () => {
    const { service, events } = setup({
      'sid-offline': claims({ sid: 'kc-offline', revokeOfflineAccess: true }),
      'sub-offline': claims({ sub: 'erin', revokeOfflineAccess: true }),
      'sid-online': claims({ sid: 'kc-online' }),
    });
    expect((await service.logout('sid-offline')).revocations[0]).toMatchObject({ revokeOfflineAccess: true });
    expect((await service.logout('sub-offline')).revocations[0]).toMatchObject({ type: 'subject', revokeOfflineAccess: true });
    expect((await service.logout('sid-online')).revocations[0]).not.toHaveProperty('revokeOfflineAccess');
    await vi.waitFor(() => expect(events).toHaveLength(3));
    expect(events.map((event) => event.revokeOfflineAccess)).toEqual([true, true, false]);
  });

  it('revokes nothing for a token the verifier refuses', async () => {
    const { service, bus } = setup({});
    const publish = vi.spyOn(bus, 'publish');
    await expect(service.logout('forged')).rejects.toBeInstanceOf(TokenInvalidError);
    expect(publish).not.toHaveBeenCalled();
  });
});
