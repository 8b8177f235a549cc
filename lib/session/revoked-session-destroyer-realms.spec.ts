import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveOptions } from '../options/resolve-options.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import { LocalRevocationBus } from '../revocation/revocation-bus.js';
import { RevocationStore } from '../revocation/revocation-store.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import { RevokedSessionDestroyer } from './revoked-session-destroyer.service.js';
import { SessionStoreAccess } from './session-store-access.service.js';

const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

describe('RevokedSessionDestroyer with several realms', () => {
  it('destroys an app session named by the primary realm, never one named by another realm\'s k_logout', async () => {
    const destroyed: string[] = [];
    const sessionStore = { destroy: (id: string, callback: (error?: unknown) => void) => void (destroyed.push(id), callback()) };
    const options = resolveOptions({
      issuer: 'https://kc.example/realms/staff',
      clientId: 'staff-app',
      realms: [{ name: 'partners', issuer: 'https://kc.example/realms/partners', clientId: 'partner-app' }],
      sessionStore,
    });
    const store = new RevocationStore();
    const registry = new MemorySessionRegistry();
    const bus = new LocalRevocationBus();
    stops.push(() => store.onModuleDestroy(), () => registry.onModuleDestroy());
    const revocations = new RevocationService(options, store, registry, bus, new KeycloakLogoutTelemetry(options, store, registry, bus));
    const destroyer = new RevokedSessionDestroyer(revocations, registry, new SessionStoreAccess(options));
    destroyer.onModuleInit();
    stops.push(() => destroyer.onModuleDestroy());

    await revocations.revokeAdapterSession('browser-1', { realm: 'partners', source: 'keycloak-admin' });
    await revocations.revokeAdapterSession('browser-2', { source: 'keycloak-admin' });
    await vi.waitFor(() => expect(destroyed).toEqual(['browser-2']));
    expect(revocations.revocationReason({ adapterSessionId: 'browser-1' })).toBeUndefined();
  });
});
