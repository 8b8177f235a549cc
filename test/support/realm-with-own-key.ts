import { FakeRealm } from './fake-realm.js';

/**
 * A fake realm that publishes and signs with one key of its own id only. Keycloak's realms each
 * have their own keys and key ids; two fake realms started alike would both publish `key-1`,
 * which the several-realms tests must not rely on.
 */
export async function startRealmWithOwnKey(name: string, kid: string): Promise<FakeRealm> {
  const realm = await FakeRealm.start(name);
  await realm.rotate(kid);
  realm.keys.splice(1);
  return realm;
}
