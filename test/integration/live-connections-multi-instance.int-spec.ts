import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveConnectionRegistry, RevocationService } from '../../lib/index.js';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { FakeRealm } from '../support/fake-realm.js';
import { TICKS } from '../support/graphql-app.js';
import { errorCodes, graphqlWsClient, recordSubscription } from '../support/graphql-ws-client.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { startLiveInstance, type LiveInstance } from '../support/live-instance-app.js';
import { checkRedisForSuite, RedisServer } from '../support/redis-server.js';
import { openSse } from '../support/sse-client.js';
import { postForm } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { connect, WS_ADAPTERS, type TestSocket } from '../support/websocket-app.js';

/*
 * Two app instances (two Nest apps in this process) on one private redis-server: a logout that
 * reaches instance A closes the live connections its session has open at instance B.
 */
const CLIENT = 'app-live';
const now = () => Math.floor(Date.now() / 1000);
const enabled = checkRedisForSuite('live connections across instances');

describe.runIf(enabled).each(WS_ADAPTERS)('live connections closed across instances (%s adapter)', (adapter) => {
  let redis: RedisServer;
  let realm: FakeRealm;
  let a: LiveInstance;
  let b: LiveInstance;
  let sidCounter = 0;
  const newSid = () => `live-${adapter}-${++sidCounter}`;
  const sockets: TestSocket[] = [];
  const liveAt = (instance: LiveInstance) => instance.app.get(LiveConnectionRegistry).stats();

  async function socketAtB(sub: string, sid: string, iat?: number): Promise<TestSocket> {
    const socket = connect(adapter, b.url, 'bearer', { token: await keycloakAccessToken(realm, { clientId: CLIENT, sub, sid, iat }) });
    sockets.push(socket);
    socket.send('whoami');
    await socket.next('whoami');
    return socket;
  }

  async function backchannelLogoutAtA(sub: string, sid: string) {
    const response = await postForm(`${a.url}/auth/backchannel-logout`, { logout_token: await keycloak26LogoutToken({ realm, clientId: CLIENT, sid, sub }) });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    [redis, realm] = await Promise.all([RedisServer.start(), FakeRealm.start()]);
    const options = { adapter, issuer: realm.issuer, clientId: CLIENT, redisUrl: redis.url, keyPrefix: `live-${adapter}:` };
    [a, b] = await Promise.all([startLiveInstance(options), startLiveInstance(options)]);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all([a?.close(), b?.close()]);
    await realm?.close();
    await redis?.stop();
  });

  it(`a back-channel logout at A closes the session's WebSocket at B (${adapter})`, async () => {
    const sid = newSid();
    const socket = await socketAtB('alice', sid);
    const bystander = await socketAtB('alice', newSid());
    await backchannelLogoutAtA('alice', sid);
    const closed = await socket.closed;
    if (adapter === 'ws') expect(closed).toEqual({ code: 4401, reason: 'logged out (sid)' });
    else expect(closed.reason).toBe('io server disconnect');
    expect(bystander.isClosed()).toBe(false);
  });

  it(`a not-before set at A closes the older WebSockets at B (${adapter})`, async () => {
    const older = await socketAtB('bob', newSid(), now() - 30);
    const newer = await socketAtB('bob', newSid(), now() + 2);
    await a.app.get(RevocationService).setNotBefore(now() - 10);
    await older.closed;
    newer.send('whoami');
    expect(await newer.next('whoami')).toMatchObject({ sub: 'bob' });
  });

  it(`a back-channel logout at A ends the session's SSE stream at B with a logout event (${adapter})`, async () => {
    const sid = newSid();
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'carol', sid });
    const stream = await openSse(`${b.url}/sse/bearer`, { authorization: `Bearer ${token}` });
    expect(stream.status).toBe(200);
    await waitFor(() => stream.events.length === 1, 'the hello event');
    await backchannelLogoutAtA('carol', sid);
    await stream.ended;
    expect(stream.events.at(-1)?.event).toBe('logout');
    await waitFor(() => liveAt(b).byKind.sse === 0, 'the stream to leave the registry at B');
  });

  if (adapter === 'socket.io') {
    it('a back-channel logout at A ends the session\'s graphql-ws subscription at B with UNAUTHENTICATED', async () => {
      const sid = newSid();
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'dora', sid });
      const client = graphqlWsClient(`${b.url.replace(/^http/, 'ws')}/graphql`, { authorization: `Bearer ${token}` });
      try {
        const log = recordSubscription(client, 'subscription { ticks { n sub } }');
        await waitFor(() => liveAt(b).byKind['graphql-subscription'] === 1, 'the subscription to be registered at B');
        TICKS.publish({ n: 7 });
        await waitFor(() => log.results.length === 1, 'a tick before the logout');
        await backchannelLogoutAtA('dora', sid);
        await waitFor(() => log.error !== undefined, 'the subscription to end with an error');
        // The graphql-ws `error` message for the operation (no `complete` after it).
        expect(errorCodes(log)).toEqual(['UNAUTHENTICATED']);
        expect(log.completed).toBe(false);
        expect(liveAt(b).byKind['graphql-subscription']).toBe(0);
      } finally {
        await client.dispose();
      }
    });
  }
});
