import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, LiveConnectionRegistry, RevocationService } from '../../lib/index.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { openSse, SseTestController } from '../support/sse-client.js';
import { ADAPTERS, startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

const CLIENT = 'app-sse';
const now = () => Math.floor(Date.now() / 1000);

describe.each(ADAPTERS)('SSE streams through SseStreams (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  let sidCounter = 0;
  const newSid = () => `sse-${adapter}-${++sidCounter}`;
  const live = () => test.app.get(LiveConnectionRegistry).stats();
  const bearer = async (sub: string, sid: string) => ({ authorization: `Bearer ${await keycloakAccessToken(realm, { clientId: CLIENT, sub, sid })}` });

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }), { controllers: [SseTestController] });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it(`an admitted stream passes the app's events and stays open (${adapter})`, async () => {
    const stream = await openSse(`${test.url}/sse/bearer`, await bearer('alice', newSid()));
    try {
      expect(stream.status).toBe(200);
      await waitFor(() => stream.events.length === 1, 'the hello event');
      expect(stream.events[0]).toEqual({ event: 'hello', data: 'hello' });
      expect(live().byKind.sse).toBe(1);
      expect(stream.isEnded()).toBe(false);
    } finally {
      stream.abort();
    }
    await waitFor(() => live().total === 0, 'the aborted stream to leave the registry');
  });

  it(`a logout sends a final logout event and ends the stream (${adapter})`, async () => {
    const sid = newSid();
    const stream = await openSse(`${test.url}/sse/bearer`, await bearer('bob', sid));
    await waitFor(() => live().byKind.sse === 1, 'the stream to be registered');
    await test.app.get(RevocationService).revokeSid(sid);
    await stream.ended;
    expect(stream.events.at(-1)).toEqual({ event: 'logout', data: JSON.stringify({ reason: 'logged out (sid)' }) });
    expect(live().total).toBe(0);
  });

  it(`a session stream ends when the app session is logged out (${adapter})`, async () => {
    const sid = newSid();
    test.sessions.set(`sse-${sid}`, { keycloak: { sub: 'carol', sid, issuedAt: now() } });
    const stream = await openSse(`${test.url}/sse/session`, { 'x-test-session': `sse-${sid}` });
    expect(stream.status).toBe(200);
    await waitFor(() => live().byKind.sse === 1, 'the stream to be registered');
    await test.app.get(RevocationService).revokeAdapterSession(`sse-${sid}`);
    await stream.ended;
    expect(stream.events.at(-1)?.event).toBe('logout');
  });

  it(`a revoked token cannot open a stream: 401 (${adapter})`, async () => {
    const sid = newSid();
    const headers = await bearer('dan', sid);
    await test.app.get(RevocationService).revokeSid(sid);
    const stream = await openSse(`${test.url}/sse/bearer`, headers);
    expect(stream.status).toBe(401);
    expect(live().total).toBe(0);
  });
});
