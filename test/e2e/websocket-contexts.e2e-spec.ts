import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, LiveConnectionRegistry, RefusalLog, RevocationService } from '../../lib/index.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { waitFor } from '../support/wait-for.js';
import { connect, signIn, startWebsocketApp, WS_ADAPTERS, type TestSocket, type WebsocketTestApp } from '../support/websocket-app.js';

const CLIENT = 'app-websocket';
const now = () => Math.floor(Date.now() / 1000);

describe.each(WS_ADAPTERS)('WebSocket gateways (%s adapter)', (adapter) => {
  let realm: FakeRealm;
  let test: WebsocketTestApp;
  let sidCounter = 0;
  const newSid = () => `ws-${adapter}-${++sidCounter}`;
  const token = (sub: string, sid: string, iat?: number) => keycloakAccessToken(realm, { clientId: CLIENT, sub, sid, iat });
  const live = () => test.app.get(LiveConnectionRegistry).stats();
  const sockets: TestSocket[] = [];
  const open = (...args: Parameters<typeof connect> extends [unknown, unknown, ...infer R] ? R : never) => {
    const socket = connect(adapter, test.url, ...args);
    sockets.push(socket);
    return socket;
  };

  /** The refusal of a closed handshake: an `exception` event, then the close (code 4401 on ws). */
  async function expectRefusedAtHandshake(socket: TestSocket, pattern: RegExp) {
    const closed = await socket.closed;
    if (adapter === 'ws') expect(closed.code).toBe(4401);
    else expect(closed.reason).toBe('io server disconnect');
    const exception = (await socket.next('exception')) as { code: string; message: string };
    expect(exception.code).toBe('UNAUTHENTICATED');
    expect(exception.message).toMatch(pattern);
  }

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startWebsocketApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, bearer: { queryParameter: 'access_token' } }));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await test?.close();
    await realm?.close();
  });

  it(`a valid token at the handshake: messages are answered with the claims (${adapter})`, async () => {
    const sid = newSid();
    const socket = open('bearer', { token: await token('alice', sid) });
    socket.send('whoami');
    expect(await socket.next('whoami')).toEqual({ sub: 'alice', sid });
    expect(live().byKind.websocket).toBeGreaterThanOrEqual(1);
  });

  it(`no token at the handshake: an UNAUTHENTICATED exception and the connection closed (${adapter})`, async () => {
    await expectRefusedAtHandshake(open('bearer'), /missing bearer token/);
    expect(test.app.get(RefusalLog).countsByContext()['bearer-guard:missing_token']?.ws).toBeGreaterThanOrEqual(1);
  });

  it(`a revoked token at the handshake: closed, nothing registered (${adapter})`, async () => {
    const sid = newSid();
    const access = await token('bob', sid);
    await test.app.get(RevocationService).revokeSid(sid);
    const before = live().total;
    await expectRefusedAtHandshake(open('bearer', { token: access }), /revoked \(sid\)/);
    expect(live().total).toBe(before);
  });

  it(`a message from a session revoked since the handshake is refused (gateway kept open at logout) (${adapter})`, async () => {
    const sid = newSid();
    const socket = open('kept', { token: await token('carl', sid) });
    socket.send('whoami');
    expect(await socket.next('whoami')).toEqual({ sub: 'carl', sid });
    await test.app.get(RevocationService).revokeSid(sid);
    socket.send('whoami');
    const exception = (await socket.next('exception')) as { code: string; statusCode: number; message: string };
    expect(exception).toMatchObject({ code: 'UNAUTHENTICATED', statusCode: 401 });
    expect(exception.message).toMatch(/revoked \(sid\)/);
    // @KeepOpenAtLogout(): the logout did not close it.
    expect(socket.isClosed()).toBe(false);
  });

  it(`a token that expires while its connection is open: the next message is refused as expired (${adapter})`, async () => {
    const sid = newSid();
    // Accepted until exp + clockTolerance (5 s by default): two to three seconds from now, time
    // enough for the handshake and a first message on a loaded machine.
    const exp = now() - 2;
    const socket = open('bearer', { token: await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'edna', sid, iat: exp - 60, exp }) });
    socket.send('whoami');
    expect(await socket.next('whoami')).toEqual({ sub: 'edna', sid });
    // The connection holds its verified token; its expiry is rechecked with every message.
    await new Promise((resolve) => setTimeout(resolve, (exp + 5) * 1000 - Date.now() + 50));
    socket.send('whoami');
    const exception = (await socket.next('exception')) as { code: string; statusCode: number; message: string };
    expect(exception).toMatchObject({ code: 'UNAUTHENTICATED', statusCode: 401 });
    expect(exception.message).toMatch(/expired/);
    expect(test.app.get(RefusalLog).countsByContext()['bearer-guard:token_invalid']?.ws).toBeGreaterThanOrEqual(1);
  });

  it(`a logout closes the open connection (ws: close code 4401; socket.io: a logout event, then a server disconnect) (${adapter})`, async () => {
    const sid = newSid();
    const socket = open('bearer', { token: await token('dora', sid) });
    socket.send('whoami');
    await socket.next('whoami');
    const bystander = open('bearer', { token: await token('dora', newSid()) });
    bystander.send('whoami');
    await bystander.next('whoami');
    await test.app.get(RevocationService).revokeSid(sid);
    const closed = await socket.closed;
    // What the README's "Live connections closed at logout" table promises, exactly.
    if (adapter === 'ws') {
      expect(closed).toEqual({ code: 4401, reason: 'logged out (sid)' });
    } else {
      // socket.io cannot send a WebSocket close code to its client API: the disconnect reason says the server closed it.
      expect(closed).toEqual({ reason: 'io server disconnect' });
    }
    expect(socket.events.at(-1)).toEqual({ event: 'logout', data: { code: 'UNAUTHENTICATED', closeCode: 4401, reason: 'logged out (sid)' } });
    expect(bystander.isClosed()).toBe(false);
  });

  it(`a subject watermark closes the user's earlier connections only (${adapter})`, async () => {
    const sub = `erin-${adapter}`;
    const older = open('bearer', { token: await token(sub, newSid(), now() - 20) });
    const newer = open('bearer', { token: await token(sub, newSid(), now() + 2) });
    older.send('whoami');
    newer.send('whoami');
    await Promise.all([older.next('whoami'), newer.next('whoami')]);
    await test.app.get(RevocationService).revokeSubject(sub, { issuedBefore: now() - 10 });
    await older.closed;
    newer.send('whoami');
    expect(await newer.next('whoami')).toMatchObject({ sub });
  });

  it(`connections closed by the client leave the registry (no leak) (${adapter})`, async () => {
    await waitFor(() => true, 'settle');
    const start = live().total;
    const batch = await Promise.all(Array.from({ length: 5 }, async () => open('bearer', { token: await token('fred', newSid()) })));
    for (const socket of batch) socket.send('whoami');
    await Promise.all(batch.map((socket) => socket.next('whoami')));
    expect(live().total).toBe(start + 5);
    for (const socket of batch) socket.close();
    await waitFor(() => live().total === start, 'every closed connection to leave the registry');
  });

  it(`@Public() gateway: messages answered without a token (${adapter})`, async () => {
    const socket = open('open');
    socket.send('ping');
    expect(await socket.next('pong')).toBe('pong');
  });

  it(`the session guard reads the handshake's session cookie; a logout of the session closes it (${adapter})`, async () => {
    const sid = newSid();
    const cookie = await signIn(test.url, 'gina', sid);
    const socket = open('session', { headers: { cookie } });
    socket.send('whoami');
    expect(await socket.next('whoami')).toEqual({ sub: 'gina', sid });
    await test.app.get(RevocationService).revokeSid(sid);
    await socket.closed;
    await expectRefusedAtHandshake(open('session', { headers: { cookie } }), /no signed-in session|logged out/);
  });

  it(`a message from a session revoked since the handshake is refused, and the session destroyed (session guard, gateway kept open) (${adapter})`, async () => {
    const sid = newSid();
    const cookie = await signIn(test.url, 'hilda', sid);
    const socket = open('kept-session', { headers: { cookie } });
    socket.send('whoami');
    expect(await socket.next('whoami')).toEqual({ sub: 'hilda', sid });
    await test.app.get(RevocationService).revokeSid(sid);
    socket.send('whoami');
    const exception = (await socket.next('exception')) as { code: string; statusCode: number; error: string; message: string };
    expect(exception).toMatchObject({ code: 'UNAUTHENTICATED', statusCode: 401, error: 'login_required' });
    expect(exception.message).toMatch(/session has been logged out \(sid\)/);
    expect(socket.isClosed()).toBe(false);
    expect(test.app.get(RefusalLog).countsByContext()['session-guard:revoked_sid']?.ws).toBeGreaterThanOrEqual(1);
    // The refused session was destroyed: the next message finds no signed-in session.
    socket.send('whoami');
    expect(await socket.next('exception')).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/no signed-in session/) });
  });

  it(`no session cookie at the handshake: refused (${adapter})`, async () => {
    await expectRefusedAtHandshake(open('session'), /no signed-in session/);
  });

  if (adapter === 'ws') {
    it('ws: the token in Sec-WebSocket-Protocol ("bearer, <token>")', async () => {
      const sid = newSid();
      const socket = open('bearer', { protocols: ['bearer', await token('hank', sid)] });
      socket.send('whoami');
      expect(await socket.next('whoami')).toEqual({ sub: 'hank', sid });
    });
  }

  it(`the handshake query parameter works when bearer.queryParameter names it (${adapter})`, async () => {
    const sid = newSid();
    const socket = open('bearer', { query: { access_token: await token('ivy', sid) } });
    socket.send('whoami');
    expect(await socket.next('whoami')).toEqual({ sub: 'ivy', sid });
  });
});

describe.each(WS_ADAPTERS)('a signing key the realm withdraws, over an open connection (%s adapter)', (adapter) => {
  it('the connection\'s next message after bearer.cacheMaxAge is verified again and refused; a connection with the new key\'s token is served', async () => {
    const realm = await FakeRealm.start();
    const test = await startWebsocketApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, bearer: { cacheMaxAge: 1_000 }, jwks: { cacheMaxAge: 1_000 } }));
    const sockets: TestSocket[] = [];
    try {
      const older = connect(adapter, test.url, 'kept', { token: await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'walt', sid: `withdrawn-${adapter}`, exp: now() + 3_600 }) });
      sockets.push(older);
      older.send('whoami');
      expect(await older.next('whoami')).toEqual({ sub: 'walt', sid: `withdrawn-${adapter}` });
      // Keycloak: a new key signs from now on, and the old key's provider is deleted.
      await realm.rotate('key-2');
      realm.keys.splice(1);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      older.send('whoami');
      const exception = (await older.next('exception')) as { code: string; statusCode: number; message: string };
      expect(exception).toMatchObject({ code: 'UNAUTHENTICATED', statusCode: 401, message: 'access token is signed with a key the realm does not publish' });
      const newer = connect(adapter, test.url, 'kept', { token: await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'walt', sid: `kept-${adapter}` }) });
      sockets.push(newer);
      newer.send('whoami');
      expect(await newer.next('whoami')).toEqual({ sub: 'walt', sid: `kept-${adapter}` });
    } finally {
      for (const socket of sockets) socket.close();
      await test.close();
      await realm.close();
    }
  });
});

describe('WebSocket handshake query parameter, not enabled', () => {
  it('a token in the URL is not read unless bearer.queryParameter is set', async () => {
    const realm = await FakeRealm.start();
    const test = await startWebsocketApp('ws', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }));
    try {
      const access = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'jack', sid: 'query-off' });
      const socket = connect('ws', test.url, 'bearer', { query: { access_token: access } });
      expect((await socket.closed).code).toBe(4401);
    } finally {
      await test.close();
      await realm.close();
    }
  });
});

describe('live connections: the app hooks in, or opts out', () => {
  it('beforeClose runs before the logout closes the socket (the app says goodbye on it)', async () => {
    const realm = await FakeRealm.start();
    const hooked: string[] = [];
    const test = await startWebsocketApp(
      'ws',
      KeycloakLogoutModule.forRoot({
        issuer: realm.issuer,
        clientId: CLIENT,
        liveConnections: {
          beforeClose: (connection, event) => {
            hooked.push(`${connection.kind}:${connection.context}:${event.revocation.type}`);
            (connection.client as { send(data: string): void }).send(JSON.stringify({ event: 'goodbye', data: connection.subject.sub }));
          },
        },
      }),
    );
    try {
      const socket = connect('ws', test.url, 'bearer', { token: await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'kate', sid: 'hook-kate' }) });
      socket.send('whoami');
      await socket.next('whoami');
      await test.app.get(RevocationService).revokeSid('hook-kate');
      expect((await socket.closed).code).toBe(4401);
      expect(await socket.next('goodbye')).toBe('kate');
      // The app's goodbye came first, then the library's logout frame.
      expect(socket.events.map((e) => e.event)).toEqual(['whoami', 'goodbye', 'logout']);
      expect(hooked).toEqual(['websocket:ws:sid']);
    } finally {
      await test.close();
      await realm.close();
    }
  });

  it('closeAtLogout: false keeps sockets open (and unregistered) while their messages are refused', async () => {
    const realm = await FakeRealm.start();
    const test = await startWebsocketApp('ws', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, liveConnections: { closeAtLogout: false } }));
    try {
      const socket = connect('ws', test.url, 'bearer', { token: await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'liam', sid: 'kept-liam' }) });
      socket.send('whoami');
      await socket.next('whoami');
      expect(test.app.get(LiveConnectionRegistry).stats().total).toBe(0);
      await test.app.get(RevocationService).revokeSid('kept-liam');
      socket.send('whoami');
      expect(await socket.next('exception')).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(socket.isClosed()).toBe(false);
      socket.close();
    } finally {
      await test.close();
      await realm.close();
    }
  });
});
