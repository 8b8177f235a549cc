import { UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { resolveOptions } from '../options/resolve-options.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import { LocalRevocationBus } from '../revocation/revocation-bus.js';
import { RevocationStore } from '../revocation/revocation-store.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { AdminActionVerifierService } from '../tokens/admin-action-verifier.service.js';
import type { LogoutTokenVerifierService } from '../tokens/logout-token-verifier.service.js';
import type { SigningKeysService } from '../tokens/signing-keys.service.js';
import { clientIdOfIssuer, realmKeyOfIssuer, realmKeyOfName } from './realm-issuer.js';
import { RealmDirectory } from './realm-directory.service.js';

const PRIMARY = 'https://kc.example/realms/staff';
const PARTNERS = 'https://kc.example/realms/partners';
const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

function directory(withRealms = true) {
  const options = resolveOptions({
    issuer: PRIMARY,
    clientId: 'staff-app',
    realms: withRealms ? [{ name: 'partners', issuer: PARTNERS, clientId: 'partner-app' }] : [],
  });
  const store = new RevocationStore();
  const registry = new MemorySessionRegistry();
  stops.push(() => store.onModuleDestroy(), () => registry.onModuleDestroy());
  const telemetry = new KeycloakLogoutTelemetry(options, store, registry, new LocalRevocationBus());
  // The primary realm's services are the module's own; only their identity matters here.
  const primary = { keys: {} as SigningKeysService, logout: {} as LogoutTokenVerifierService, admin: {} as AdminActionVerifierService };
  return { options, primary, realms: new RealmDirectory(options, telemetry, primary.keys, primary.logout, primary.admin) };
}

/** An unsigned JWT: forAccessToken reads `iss` only to choose, it never trusts it. */
const tokenWith = (claims: Record<string, unknown>) => new UnsecuredJWT(claims).encode();

describe('RealmDirectory', () => {
  it('keeps the module\'s own services as the primary realm and builds each further realm its own', () => {
    const { realms, primary } = directory();
    expect(realms.primary).toMatchObject({ name: undefined, key: undefined, issuer: PRIMARY, clientId: 'staff-app' });
    expect(realms.primary.logoutTokens).toBe(primary.logout);
    const partners = realms.named('partners')!;
    expect(partners).toMatchObject({ name: 'partners', key: PARTNERS, issuer: PARTNERS, clientId: 'partner-app' });
    expect(partners.logoutTokens).not.toBe(primary.logout);
    expect(partners.signingKeys).not.toBe(primary.keys);
    expect(realms.further.map((realm) => realm.name)).toEqual(['partners']);
    expect(realms.named('nowhere')).toBeUndefined();
  });

  it('chooses the realm of an access token by its iss from the allow-list', () => {
    const { realms } = directory();
    expect(realms.forAccessToken(tokenWith({ iss: PARTNERS }))?.name).toBe('partners');
    // The primary realm's verifier handles its own tokens, and whatever cannot be read (it then refuses them).
    expect(realms.forAccessToken(tokenWith({ iss: PRIMARY }))).toBeUndefined();
    expect(realms.forAccessToken(tokenWith({}))).toBeUndefined();
    expect(realms.forAccessToken('not-a-jwt')).toBeUndefined();
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example/realms/partners' }],
    ['an issuer differing only by a trailing slash', { iss: `${PARTNERS}/` }],
    ['a non-string iss', { iss: ['a'] }],
  ])('refuses %s as unknown_issuer', (_, claims) => {
    const { realms } = directory();
    let error: unknown;
    try {
      realms.forAccessToken(tokenWith(claims));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect((error as TokenInvalidError).reason).toBe('unknown_issuer');
  });

  it('with no further realm, leaves every token to the primary verifier, unknown issuers included (single-realm behaviour)', () => {
    const { realms } = directory(false);
    expect(realms.forAccessToken(tokenWith({ iss: 'https://evil.example' }))).toBeUndefined();
  });

  it('maps issuers and names to realm keys and client ids', () => {
    const { options } = directory();
    expect(realmKeyOfIssuer(options, PRIMARY)).toBeUndefined();
    expect(realmKeyOfIssuer(options, PARTNERS)).toBe(PARTNERS);
    expect(realmKeyOfIssuer(options, undefined)).toBeUndefined();
    expect(clientIdOfIssuer(options, PARTNERS)).toBe('partner-app');
    expect(clientIdOfIssuer(options, PRIMARY)).toBe('staff-app');
    expect(realmKeyOfName(options, 'partners')).toBe(PARTNERS);
    expect(realmKeyOfName(options, PARTNERS)).toBe(PARTNERS);
    expect(realmKeyOfName(options, PRIMARY)).toBeUndefined();
    expect(realmKeyOfName(options, undefined)).toBeUndefined();
    expect(() => realmKeyOfName(options, 'staff')).toThrow(RangeError);
  });
});
