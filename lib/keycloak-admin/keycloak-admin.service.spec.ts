import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { resolveOptions } from '../options/resolve-options.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import { LocalRevocationBus } from '../revocation/revocation-bus.js';
import { RevocationStore } from '../revocation/revocation-store.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { AdminAction } from '../tokens/admin-action.interface.js';
import type { AdminActionVerifierService } from '../tokens/admin-action-verifier.service.js';
import { KeycloakAdminService } from './keycloak-admin.service.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Stands in for the admin action verifier (signature, expiry and `resource` have tests of their
 * own): a "token" is the key of the action it carries, accepted only on its own route.
 */
function verifierOf(tokens: Record<string, AdminAction>): AdminActionVerifierService {
  const verifier: Pick<AdminActionVerifierService, 'verify'> = {
    verify: (token, expected) => {
      const action = tokens[token];
      if (action?.action !== expected) return Promise.reject(new TokenInvalidError('claims', `admin action does not match this route (${expected})`));
      return Promise.resolve(action);
    },
  };
  return verifier as AdminActionVerifierService;
}

function action(fields: Partial<AdminAction> & Pick<AdminAction, 'action'>): AdminAction {
  return { id: 'action-id', expiration: nowSeconds() + 30, resource: 'app', adapterSessionIds: [], keycloakSessionIds: [], notBefore: 0, ...fields };
}

const stops: Array<() => void> = [];
beforeEach(() => void vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
afterEach(() => {
  stops.splice(0).forEach((stop) => stop());
  vi.restoreAllMocks();
});

/** The service on real parts; only the admin action verifier is a stand-in. */
function setup(tokens: Record<string, AdminAction>) {
  const options = resolveOptions({ issuer: 'https://kc.example/realms/demo', clientId: 'app' });
  const store = new RevocationStore();
  const registry = new MemorySessionRegistry();
  const bus = new LocalRevocationBus();
  const revocations = new RevocationService(options, store, registry, bus, new KeycloakLogoutTelemetry(options, store, registry, bus));
  stops.push(() => store.onModuleDestroy(), () => registry.onModuleDestroy());
  return { service: new KeycloakAdminService(verifierOf(tokens), revocations), revocations, registry, store, bus };
}

/** Revocations as `type:what`, for compact assertions. */
function described(revocations: Revocation[]): string[] {
  return revocations.map((r) => {
    switch (r.type) {
      case 'sid':
        return `sid:${r.sid}`;
      case 'adapter-session':
        return `adapter-session:${r.adapterSessionId}`;
      case 'not-before':
        return `not-before:${r.notBefore}`;
      case 'subject':
        return `subject:${r.sub}`;
    }
  });
}

describe('KeycloakAdminService', () => {
  it('LOGOUT naming sessions revokes those adapter sessions (with the sids the registry links to them) and Keycloak sessions', async () => {
    const { service, registry, revocations } = setup({
      named: action({ action: 'LOGOUT', adapterSessionIds: ['sess-1', 'sess-unknown'], keycloakSessionIds: ['kc-9'] }),
    });
    await registry.register({ adapterSessionId: 'sess-1', sid: 'kc-1', sub: 'alice', clientId: 'app', issuedAt: nowSeconds(), expiresAt: nowSeconds() + 600 });

    const result = await service.handle('named', 'LOGOUT');

    expect(described(result.revocations)).toEqual(['adapter-session:sess-1', 'sid:kc-1', 'adapter-session:sess-unknown', 'sid:kc-9']);
    expect(result.revocations.every((r) => r.source === 'keycloak-admin')).toBe(true);
    expect(revocations.revocationReason({ adapterSessionId: 'sess-1' })).toBe('adapter-session');
    expect(revocations.revocationReason({ sid: 'kc-1' })).toBe('sid');
    expect(revocations.revocationReason({ sid: 'kc-9' })).toBe('sid');
    // Naming sessions is not "sign out everyone": no not-before.
    expect(revocations.notBefore).toBe(0);
  });

  it('LOGOUT without sessions but with a not-before ("Sign out all active sessions") sets the client not-before', async () => {
    const notBefore = nowSeconds();
    const { service, revocations } = setup({ all: action({ action: 'LOGOUT', notBefore }) });
    expect(described((await service.handle('all', 'LOGOUT')).revocations)).toEqual([`not-before:${notBefore}`]);
    expect(revocations.notBefore).toBe(notBefore);
    expect(revocations.revocationReason({ sub: 'anyone', iat: notBefore - 1 })).toBe('not-before');
    expect(revocations.revocationReason({ sub: 'anyone', iat: notBefore })).toBeUndefined();
  });

  it('PUSH_NOT_BEFORE sets the client not-before, which never moves back', async () => {
    const notBefore = nowSeconds();
    const { service, revocations } = setup({
      push: action({ action: 'PUSH_NOT_BEFORE', notBefore }),
      older: action({ action: 'PUSH_NOT_BEFORE', notBefore: notBefore - 100 }),
    });
    expect(described((await service.handle('push', 'PUSH_NOT_BEFORE')).revocations)).toEqual([`not-before:${notBefore}`]);
    await service.handle('older', 'PUSH_NOT_BEFORE');
    expect(revocations.notBefore).toBe(notBefore);
  });

  it('TEST_AVAILABILITY, and a LOGOUT naming nothing, change nothing', async () => {
    const { service, store, bus } = setup({
      ping: action({ action: 'TEST_AVAILABILITY' }),
      empty: action({ action: 'LOGOUT' }),
    });
    const publish = vi.spyOn(bus, 'publish');
    expect((await service.handle('ping', 'TEST_AVAILABILITY')).revocations).toEqual([]);
    expect((await service.handle('empty', 'LOGOUT')).revocations).toEqual([]);
    expect(publish).not.toHaveBeenCalled();
    expect(store.size).toBe(0);
    expect(store.currentNotBefore).toBe(0);
  });

  it('an action posted to the route of another action revokes nothing', async () => {
    const { service, bus } = setup({ push: action({ action: 'PUSH_NOT_BEFORE', notBefore: nowSeconds() }) });
    const publish = vi.spyOn(bus, 'publish');
    await expect(service.handle('push', 'LOGOUT')).rejects.toBeInstanceOf(TokenInvalidError);
    expect(publish).not.toHaveBeenCalled();
  });
});
