/**
 * In-process cost breakdowns: the library's own work per logout token and per guarded
 * request, timed without HTTP, so that the HTTP figures can be split into "the library",
 * "jose" and "the framework and HTTP". Sequential calls, wall time, the parts interleaved so
 * that the machine's other work affects them alike, and medians (robust to preemption).
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionContext, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { keycloak26LogoutToken } from '../../test/support/keycloak-logout-tokens.js';
import type { FakeRealm } from '../../test/support/fake-realm.js';
import { keycloakAccessToken } from '../../test/support/keycloak-access-token.js';
import type { BackchannelLogoutService } from '../../lib/backchannel-logout/backchannel-logout.service.js';
import type { LogoutTokenVerifierService } from '../../lib/tokens/logout-token-verifier.service.js';
import type { AccessTokenVerifierService, KeycloakBearerGuard, RevocationService } from '../../lib/index.js';
import { lib, loadInternal } from './library.js';
import { CLIENT_ID, inBatches } from './realm.js';
import { median } from './stats.js';

/** Wall µs of one call (awaited when it returns a promise). */
async function timeOne(fn: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  const result = fn();
  if (result instanceof Promise) await result;
  return Number(process.hrtime.bigint() - started) / 1000;
}

/** Wall µs per call of `fn` over `inputs`, one call at a time. */
async function perCall<T>(inputs: T[], fn: (input: T) => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  for (const input of inputs) {
    const result = fn(input);
    if (result instanceof Promise) await result;
  }
  return Number(process.hrtime.bigint() - started) / 1000 / inputs.length;
}

async function context(signer: FakeRealm): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    lib.KeycloakLogoutModule.forRoot({ issuer: signer.issuer, clientId: CLIENT_ID, routes: { backchannelLogout: false, keycloakAdmin: false } }),
    { logger: false },
  );
}

export interface BackchannelBreakdown {
  /** jose `jwtVerify` with the library's options. */
  jose: number;
  /** LogoutTokenVerifierService.verify: `typ`, jose, claim checks. */
  verifier: number;
  /** BackchannelLogoutService.logout: the verifier, the `jti` replay claim, revoking the sid, the log line. */
  logout: number;
  /** What express-openid-connect's handler does besides HTTP: jose, then two store writes. */
  eocLike: number;
}

export async function backchannelBreakdown(signer: FakeRealm, count: number, rounds: number): Promise<BackchannelBreakdown> {
  const app = await context(signer);
  const { BackchannelLogoutService: LogoutClass } = await loadInternal<{ BackchannelLogoutService: new (...args: never[]) => BackchannelLogoutService }>('logout-token/backchannel-logout.service.js');
  const { LogoutTokenVerifierService: VerifierClass } = await loadInternal<{ LogoutTokenVerifierService: new (...args: never[]) => LogoutTokenVerifierService }>('logout-token/logout-token-verifier.service.js');
  const logout = app.get(LogoutClass, { strict: false });
  const verifier = app.get(VerifierClass, { strict: false });
  const jwks = createLocalJWKSet({ keys: signer.keys.map((key) => key.publicJwk) });
  const options = { algorithms: ['RS256'], issuer: signer.issuer, audience: CLIENT_ID, clockTolerance: 5, requiredClaims: ['iat', 'exp', 'jti'], maxTokenAge: 300 };
  const store = new Map<string, unknown>();
  const samples: Record<keyof BackchannelBreakdown, number[]> = { jose: [], verifier: [], logout: [], eocLike: [] };
  try {
    for (let round = 0; round <= rounds; round++) {
      const tokens = await inBatches(count, () => keycloak26LogoutToken({ realm: signer, clientId: CLIENT_ID, sub: randomUUID(), sid: randomUUID() }));
      // Token by token, the four handlers one after the other (only `logout` records the jti).
      for (const token of tokens) {
        const jose = await timeOne(() => jwtVerify(token, jwks, options));
        const eocLike = await timeOne(async () => {
          const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'], issuer: signer.issuer, audience: CLIENT_ID });
          store.set(`${payload.iss}|${payload.sid as string}`, { cookie: {} });
          store.set(`${payload.iss}|${payload.sub}`, { cookie: {} });
        });
        const verified = await timeOne(() => verifier.verify(token));
        const loggedOut = await timeOne(() => logout.logout(token));
        if (round === 0) continue; // warm-up
        samples.jose.push(jose);
        samples.eocLike.push(eocLike);
        samples.verifier.push(verified);
        samples.logout.push(loggedOut);
      }
    }
  } finally {
    await app.close();
  }
  return { jose: median(samples.jose), verifier: median(samples.verifier), logout: median(samples.logout), eocLike: median(samples.eocLike) };
}

export interface GuardBreakdown {
  /** KeycloakBearerGuard.canActivate on a token verified before (the steady state). */
  canActivate: number;
  /**
   * Taking the token out of the header (a prefix test): paid at a token's first request, and by a
   * header in another form than the one the token was verified from.
   */
  extract: number;
  /** For comparison: the regular expression the guard used before, over the same headers. */
  formerExtract: number;
  /** AccessTokenVerifierService.cachedCredential on a header a token was verified from (synchronous: what the guard asks first). */
  cachedVerify: number;
  /** RevocationStore.check through RevocationService (what a token pays after a revocation was applied). */
  revocationCheck: number;
  /** The same with the token's memo, no revocation applied since it was last checked (the steady state). */
  memoCheck: number;
}

/**
 * The bearer guard of a module in process, 10,000 other sessions revoked, and `count` tokens of
 * distinct sessions its verifier has verified already (the guard's steady state).
 */
async function guardWithCachedTokens(signer: FakeRealm, count: number) {
  const app = await context(signer);
  const guard = app.get<KeycloakBearerGuard>(lib.KeycloakBearerGuard);
  const verifier = app.get<AccessTokenVerifierService>(lib.AccessTokenVerifierService);
  const revocations = app.get<RevocationService>(lib.RevocationService);
  for (let i = 0; i < 10_000; i++) await revocations.revokeSid(`other-${i}`);
  const iat = Math.floor(Date.now() / 1000);
  const tokens = await inBatches(count, () => keycloakAccessToken(signer, { clientId: CLIENT_ID, sub: randomUUID(), sid: randomUUID(), iat, exp: iat + 3600 }));
  // As the guard verifies a token at its first request: with the header it came in, kept with it.
  for (const token of tokens) await verifier.verifyToken(token, `Bearer ${token}`);
  return { app, guard, verifier, revocations, tokens };
}

/** The guard with the default verification cache, on `count` cached tokens, headers as fresh strings per request. */
export async function guardBreakdown(signer: FakeRealm, count: number, rounds: number): Promise<GuardBreakdown> {
  const { app, guard, verifier, revocations, tokens } = await guardWithCachedTokens(signer, count);
  // A controller class and handler as Nest would pass them (no metadata: not @Public()).
  class Api {}
  const route = function route(): void {};
  const contextOf = (request: unknown): ExecutionContext =>
    ({
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}), getNext: () => undefined }),
      getHandler: () => route,
      getClass: () => Api,
      getType: () => 'http',
      getArgs: () => [request, {}],
      getArgByIndex: (i: number) => [request, {}][i],
      switchToRpc: () => undefined,
      switchToWs: () => undefined,
    }) as unknown as ExecutionContext;
  // Each request brings its header as a new string, as the HTTP parser makes it.
  const freshHeaders = () => tokens.map((token) => JSON.parse(JSON.stringify(`Bearer ${token}`)) as string);
  const extract = (guard as unknown as { extractToken(request: { headers: Record<string, unknown> }): string | undefined }).extractToken.bind(guard);
  const formerBearer = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;
  const samples: Record<keyof GuardBreakdown, number[]> = { canActivate: [], extract: [], formerExtract: [], cachedVerify: [], revocationCheck: [], memoCheck: [] };
  const claims = await Promise.all(tokens.map((token) => verifier.verify(token)));
  const verified = tokens.map((token) => verifier.cachedToken(token)!);
  try {
    for (let round = 0; round <= rounds; round++) {
      const canActivate = await perCall(freshHeaders(), (authorization) => guard.canActivate(contextOf({ headers: { authorization } })));
      const extracted = await perCall(freshHeaders(), (authorization) => extract({ headers: { authorization } }));
      const formerExtract = await perCall(freshHeaders(), (authorization) => formerBearer.exec(({ headers: { authorization } }).headers.authorization)?.[1]);
      const cachedVerify = await perCall(freshHeaders(), (authorization) => verifier.cachedCredential(authorization));
      const revocationCheck = await perCall(claims, (c) => revocations.revocationReason({ sid: c.sid, sub: c.sub, iat: c.iat }));
      const memoCheck = await perCall(verified, (v) => revocations.revocationReason(v.subject, v.revocationMemo));
      if (round === 0) continue;
      samples.canActivate.push(canActivate);
      samples.extract.push(extracted);
      samples.formerExtract.push(formerExtract);
      samples.cachedVerify.push(cachedVerify);
      samples.revocationCheck.push(revocationCheck);
      samples.memoCheck.push(memoCheck);
    }
  } finally {
    await app.close();
  }
  return {
    canActivate: median(samples.canActivate),
    extract: median(samples.extract),
    formerExtract: median(samples.formerExtract),
    cachedVerify: median(samples.cachedVerify),
    revocationCheck: median(samples.revocationCheck),
    memoCheck: median(samples.memoCheck),
  };
}

/** The contexts `contextGuardBreakdown` times the bearer guard in. */
export const GUARD_CONTEXTS = ['HTTP', 'GraphQL, Apollo-shaped context', 'GraphQL, Mercurius-shaped context', 'WebSocket, ws', 'WebSocket, socket.io'] as const;
export type GuardContext = (typeof GUARD_CONTEXTS)[number];

/**
 * KeycloakBearerGuard.canActivate per context, on tokens verified before, µs per call (medians
 * of `rounds`), for each working set in `sessions`: that many distinct sessions (token, `sid`)
 * taken in turn, so that a large set shows what the cache lookups cost once the tokens and the
 * revocation maps no longer sit in the CPU's caches. Contexts as Nest builds them
 * (ExecutionContextHost, one per call); HTTP and GraphQL bring the header as a fresh string per
 * call (a new request), a WebSocket message the one its connection was admitted with.
 */
export async function contextGuardBreakdown(signer: FakeRealm, sessions: number[], rounds: number): Promise<Record<GuardContext, Record<number, number>>> {
  const { ExecutionContextHost } = await import('@nestjs/core/helpers/execution-context-host.js');
  const largest = Math.max(...sessions);
  const { app, guard, tokens } = await guardWithCachedTokens(signer, largest);
  class Api {}
  const route = function route(): void {};
  const query = { operation: { operation: 'query' } };
  const fresh = (token: string) => JSON.parse(JSON.stringify(`Bearer ${token}`)) as string;
  const host = (type: string, args: unknown[]) => {
    const host = new ExecutionContextHost(args, Api as never, route);
    host.setType(type);
    return host as ExecutionContext;
  };
  // The connections, admitted once each (registered for closing at logout, as a gateway's handleConnection does).
  const wsClients = tokens.map(() => ({ readyState: 1, send: () => undefined, close: () => undefined, once: () => undefined }));
  const ioClients = tokens.map((token) => ({ handshake: { headers: {}, auth: { token } }, connected: true, emit: () => true, disconnect: () => undefined, once: () => undefined }));
  for (let i = 0; i < largest; i++) {
    await guard.admitConnection(new Api(), wsClients[i]!, { headers: { authorization: `Bearer ${tokens[i]!}` }, url: '/' });
    await guard.admitConnection(new Api(), ioClients[i]!);
  }
  const calls: Record<GuardContext, (i: number) => ExecutionContext> = {
    HTTP: (i) => host('http', [{ headers: { authorization: fresh(tokens[i]!) } }, {}, () => undefined]),
    'GraphQL, Apollo-shaped context': (i) => host('graphql', [undefined, {}, { req: { headers: { authorization: fresh(tokens[i]!) } } }, query]),
    // What Mercurius' graphql() and Nest's driver leave on the context before the resolver runs.
    'GraphQL, Mercurius-shaped context': (i) =>
      host('graphql', [undefined, {}, Object.assign({ req: { headers: { authorization: fresh(tokens[i]!) } }, reply: {} }, { app: {}, errors: null }, { preParsing: null, preValidation: null, preExecution: null, onResolution: null }), query]),
    'WebSocket, ws': (i) => host('ws', [wsClients[i]!, undefined, 'guarded']),
    'WebSocket, socket.io': (i) => host('ws', [ioClients[i]!, undefined, 'guarded']),
  };
  const samples = new Map<string, number[]>();
  try {
    for (let round = 0; round <= rounds; round++) {
      for (const kind of GUARD_CONTEXTS) {
        for (const size of sessions) {
          // As many calls for every size, the sessions taken in turn.
          const contexts = Array.from({ length: largest }, (_, call) => calls[kind](call % size));
          const perCallUs = await perCall(contexts, (ctx) => {
            if (guard.canActivate(ctx) !== true) throw new Error(`${kind}: the guard did not answer true at once`);
          });
          if (round === 0) continue;
          const key = `${kind}|${size}`;
          samples.set(key, [...(samples.get(key) ?? []), perCallUs]);
        }
      }
    }
  } finally {
    await app.close();
  }
  return Object.fromEntries(GUARD_CONTEXTS.map((kind) => [kind, Object.fromEntries(sessions.map((size) => [size, median(samples.get(`${kind}|${size}`)!)]))])) as Record<GuardContext, Record<number, number>>;
}
