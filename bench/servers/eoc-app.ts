/**
 * The peer of benchmark 2: express-openid-connect's back-channel logout route
 * (`POST /backchannel-logout`) in a plain Express app, configured against the same realm,
 * client id and keys as the library's app. Its default hooks apply: verify the token (jose,
 * RS256 pinned), then mark `iss|sid` and `iss|sub` as logged out in the store.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth } from 'express-openid-connect';
import { readConfig, serve } from '../support/child.js';
import { MemorySessionStore } from '../support/memory-store.js';

const config = readConfig<{ issuer: string; clientId: string }>();
const store = new MemorySessionStore();
const app = express();
const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

app.use(
  auth({
    issuerBaseURL: config.issuer,
    baseURL: url,
    clientID: config.clientId,
    secret: 'bench-secret-bench-secret-bench-secret-0123456789',
    authRequired: false,
    idpLogout: false,
    backchannelLogout: { store },
  }),
);

serve(
  {
    /** Entries in the logout store (two per accepted token: `iss|sid` and `iss|sub`). */
    revocationCount: () => store.sessions.size,
  },
  () => new Promise<void>((resolve) => server.close(() => resolve())),
).announce({ url });
