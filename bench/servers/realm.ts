/**
 * The realm: test/support/fake-realm.ts (discovery and JWKS at Keycloak's paths) in its own
 * process, so that serving keys (keycloak-connect fetches the JWKS on every admin request)
 * competes neither with the load generator nor with the server under test. The bench signs
 * tokens with the realm key, which it receives once at startup.
 */
import { exportJWK } from 'jose';
import { FakeRealm } from '../../test/support/fake-realm.js';
import { serve } from '../support/child.js';

const realm = await FakeRealm.start('demo');
const key = realm.signingKey;
const server = serve(
  {
    jwksFetches: () => realm.jwksFetches,
  },
  () => realm.close(),
);
server.announce({
  url: realm.issuer,
  issuer: realm.issuer,
  kid: key.kid,
  alg: key.alg,
  publicJwk: key.publicJwk,
  privateJwk: await exportJWK(key.privateKey),
});
