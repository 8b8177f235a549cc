/**
 * The peer of benchmark 5: keycloak-connect's Admin URL handler (`keycloak.middleware({ admin:
 * '/' })`, so `POST /k_logout`) in a plain Express app pointed at the same realm. For a LOGOUT
 * naming adapter sessions it clears the grant kept in each of those sessions in the app's
 * session store. It creates a new key fetcher per request, so it fetches the realm's JWKS
 * for every action (that round trip is part of its cost, and is reported).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Keycloak from 'keycloak-connect';
import { readConfig, serve } from '../support/child.js';
import { MemorySessionStore } from '../support/memory-store.js';

const config = readConfig<{ authServerUrl: string; realm: string; clientId: string }>();
const store = new MemorySessionStore();
const keycloak = new Keycloak(
  { store },
  {
    realm: config.realm,
    'auth-server-url': config.authServerUrl,
    resource: config.clientId,
    'ssl-required': 'none',
    'confidential-port': 0,
    'bearer-only': true,
  },
);
const app = express();
app.use(keycloak.middleware({ admin: '/', logout: '/logout' }));
const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

serve(
  {
    /** Stores a grant in each named session, as a login through keycloak-connect would. */
    seedSessions: (sessions: Array<{ adapterSessionId: string }>) => {
      for (const { adapterSessionId } of sessions) store.sessions.set(adapterSessionId, { 'keycloak-token': '{"access_token":"..."}' });
      return sessions.length;
    },
    /** Sessions whose grant a LOGOUT has cleared. */
    revocationCount: () => [...store.sessions.values()].filter((session) => !('keycloak-token' in session)).length,
  },
  () => new Promise<void>((resolve) => server.close(() => resolve())),
).announce({ url });
