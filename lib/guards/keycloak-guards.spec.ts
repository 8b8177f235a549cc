/*
 * KeycloakBearerGuard and KeycloakSessionGuard, one file since they share RevocationGuardBase
 * and the context factory: Nest's own DI and ExecutionContext, the real revocation service,
 * store, registry, bus and telemetry (OpenTelemetry's no-op API), express's adapter and
 * response, express-session's Session and MemoryStore. Only the access token verifier is a
 * stand-in.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { HttpException, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test, type TestingModule } from '@nestjs/testing';
import { WsException } from '@nestjs/websockets';
import express from 'express';
import { MemoryStore, Session } from 'express-session';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Public } from '../decorators/public.decorator.js';
import { Roles } from '../decorators/roles.decorator.js';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { LiveConnectionRegistry } from '../live-connections/live-connection-registry.service.js';
import { LiveConnectionTracker } from '../live-connections/live-connection-tracker.service.js';
import type { KeycloakLogoutModuleOptions } from '../options/keycloak-logout-options.interface.js';
import { resolveOptions } from '../options/resolve-options.js';
import { RefusalLog } from '../refusals/refusal-log.service.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { LocalRevocationBus, RevocationBus } from '../revocation/revocation-bus.js';
import { RevocationStore } from '../revocation/revocation-store.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { SessionObject, SessionRequest } from '../session/session-access.js';
import { SessionStoreAccess } from '../session/session-store-access.service.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { AccessTokenClaims } from '../tokens/access-token-claims.interface.js';
import { AccessTokenVerifierService } from '../tokens/access-token-verifier.service.js';
import type { VerifiedAccessToken } from '../tokens/verified-token-cache.js';
import { KeycloakBearerGuard, type RequestWithAccessToken } from './keycloak-bearer.guard.js';
import { KeycloakSessionGuard } from './keycloak-session.guard.js';

const ISSUER = 'https://kc.example/realms/demo';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The handlers the guards run for: `@Public()` metadata is read from them. */
class Routes {
  @Public()
  open(): string {
    return 'open';
  }

  guarded(): string {
    return 'guarded';
  }
}

/** The ExecutionContext Nest builds for an HTTP request to one of `Routes`, with a real express response. */
function httpContext(request: object, route: keyof Routes = 'guarded') {
  const response = Object.setPrototypeOf(new ServerResponse(new IncomingMessage(new Socket())), express.response) as ServerResponse;
  // Nest passes the handler unbound too: the guards only read its metadata.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const context = new ExecutionContextHost([request, response, () => undefined], Routes, Routes.prototype[route]);
  return { context, response };
}

/** A GraphQL resolver call, `[root, args, context, info]`, with this GraphQL context. */
function graphqlCall(graphqlContext: object): ExecutionContextHost {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const context = new ExecutionContextHost([{}, {}, graphqlContext, {}], Routes, Routes.prototype.guarded);
  context.setType('graphql');
  return context;
}

/** Access tokens the stand-in verifier knows: signature and claim checks have tests of their own. */
const TOKENS = new Map<string, AccessTokenClaims>([
  ['alice-token', { iss: ISSUER, sub: 'alice', sid: 'kc-alice', azp: 'app', iat: nowSeconds(), exp: nowSeconds() + 300 }],
  ['bob-token', { iss: ISSUER, sub: 'bob', sid: 'kc-bob', azp: 'app', iat: nowSeconds() - 60, exp: nowSeconds() + 240 }],
]);

/**
 * Verifies the tokens of TOKENS, remembering each verified token as the real verifier's cache
 * does: the first call with a token is answered through `verifyToken` (a promise), later ones
 * through `cachedToken` (at once). `calls` counts the verifications.
 */
class StandInVerifier implements Pick<AccessTokenVerifierService, 'verify' | 'verifyToken' | 'cachedToken' | 'isCached'> {
  readonly seen = new Map<string, VerifiedAccessToken>();
  calls = 0;

  async verify(token: string): Promise<AccessTokenClaims> {
    return (await this.verifyToken(token)).claims;
  }

  async verifyToken(token: string): Promise<VerifiedAccessToken> {
    this.calls++;
    await Promise.resolve();
    const claims = TOKENS.get(token);
    if (claims === undefined) throw new TokenInvalidError('signature', 'access token signature is invalid');
    const verified = { claims, subject: Object.freeze({ sid: claims.sid, sub: claims.sub, iat: claims.iat }) };
    this.seen.set(token, verified);
    return verified;
  }

  cachedToken(token: string): VerifiedAccessToken | undefined {
    return this.seen.get(token);
  }

  isCached(token: string): boolean {
    return this.seen.has(token);
  }
}

/**
 * As StandInVerifier, with what the real verifier adds for the guard's hot paths: it keeps the
 * header each token was verified from (`cachedCredential` answers that very header;
 * `credentialHits` counts its answers), and rechecks a token a caller holds (`rechecks`).
 */
class HeaderKeepingVerifier extends StandInVerifier implements Pick<AccessTokenVerifierService, 'cachedCredential' | 'recheck'> {
  readonly byCredential = new Map<string, VerifiedAccessToken>();
  credentialHits = 0;
  rechecks = 0;

  recheck(verified: VerifiedAccessToken): VerifiedAccessToken | undefined {
    this.rechecks++;
    return verified;
  }

  override async verifyToken(token: string, credential?: string): Promise<VerifiedAccessToken> {
    const verified = await super.verifyToken(token);
    if (credential !== undefined) this.byCredential.set(credential, verified);
    return verified;
  }

  cachedCredential(credential: string): VerifiedAccessToken | undefined {
    const verified = this.byCredential.get(credential);
    if (verified !== undefined) this.credentialHits++;
    return verified;
  }
}

function adapterHost(): HttpAdapterHost {
  const host = new HttpAdapterHost();
  host.httpAdapter = new ExpressAdapter();
  return host;
}

const modules: TestingModule[] = [];
beforeEach(() => {
  for (const level of ['warn', 'debug'] as const) vi.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
});
afterEach(async () => {
  for (const moduleRef of modules.splice(0)) await moduleRef.close();
  vi.restoreAllMocks();
});

/**
 * Both guards, resolved by Nest's DI as the module provides them. `verifier`: the stand-in for
 * AccessTokenVerifierService (default one that keeps headers, as the real one); `guards`: more
 * guard classes to provide.
 */
async function setup<Verifier extends StandInVerifier = HeaderKeepingVerifier>(
  overrides: Partial<KeycloakLogoutModuleOptions> = {},
  { verifier = new HeaderKeepingVerifier() as StandInVerifier as Verifier, guards = [] }: { verifier?: Verifier; guards?: Array<new (...args: never[]) => unknown> } = {},
) {
  const bus = new LocalRevocationBus();
  const moduleRef = await Test.createTestingModule({
    providers: [
      { provide: KEYCLOAK_LOGOUT_OPTIONS, useValue: resolveOptions({ issuer: ISSUER, clientId: 'app', ...overrides }) },
      { provide: SessionRegistry, useValue: new MemorySessionRegistry() },
      { provide: RevocationBus, useValue: bus },
      { provide: AccessTokenVerifierService, useValue: verifier },
      { provide: HttpAdapterHost, useValue: adapterHost() },
      RevocationStore,
      RevocationService,
      RefusalLog,
      KeycloakLogoutTelemetry,
      SessionStoreAccess,
      LiveConnectionRegistry,
      LiveConnectionTracker,
      KeycloakBearerGuard,
      KeycloakSessionGuard,
      ...guards,
    ],
  }).compile();
  modules.push(moduleRef);
  /** Makes the bus report what a shared bus reports when its log is unreachable. */
  const goStale = () => vi.spyOn(bus, 'health').mockReturnValue({ stale: true, detail: 'shared log unreachable' });
  return {
    bearer: moduleRef.get(KeycloakBearerGuard),
    session: moduleRef.get(KeycloakSessionGuard),
    revocations: moduleRef.get(RevocationService),
    refusals: moduleRef.get(RefusalLog),
    liveConnections: moduleRef.get(LiveConnectionRegistry),
    verifier,
    moduleRef,
    goStale,
  };
}

/**
 * What a guard threw, as the status and JSON body the exception filter answers with. A refusal
 * is always a rejected promise, never a synchronous answer.
 */
async function refusalOf(attempt: boolean | Promise<boolean>): Promise<{ status: number; body: unknown }> {
  expect(attempt).toBeInstanceOf(Promise);
  const error = await Promise.resolve(attempt).then(
    () => new Error('the guard let the request through'),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof HttpException)) throw error;
  return { status: error.getStatus(), body: error.getResponse() };
}

/** A `ws` WebSocket as the live-connection registry sees it: open, closable. */
const nativeSocket = () => ({ readyState: 1, send: () => undefined, close: () => undefined, once: () => undefined });
/** A socket.io Socket as the live-connection registry sees it: connected, closable. */
const ioSocket = () => ({ connected: true, emit: () => true, disconnect: () => undefined, once: () => undefined });

const bearerRequest = (token?: string): RequestWithAccessToken & { headers: Record<string, string> } => ({
  headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
});

describe('KeycloakBearerGuard', () => {
  it('lets a @Public() route through without a token', async () => {
    const { bearer } = await setup();
    expect(await bearer.canActivate(httpContext(bearerRequest(), 'open').context)).toBe(true);
  });

  it('refuses a request without a token: 401 invalid_request as JSON, WWW-Authenticate: Bearer', async () => {
    const { bearer, refusals } = await setup();
    const { context, response } = httpContext(bearerRequest());
    expect(await refusalOf(bearer.canActivate(context))).toEqual({ status: 401, body: { error: 'invalid_request', error_description: 'missing bearer token' } });
    expect(response.getHeader('www-authenticate')).toBe('Bearer');
    expect(refusals.counts()).toEqual({ 'bearer-guard:missing_token': 1 });
  });

  it('accepts a valid token no logout revoked, and puts its claims on the request', async () => {
    const { bearer } = await setup();
    const request = bearerRequest('alice-token');
    expect(await bearer.canActivate(httpContext(request).context)).toBe(true);
    expect(request.accessTokenClaims).toBe(TOKENS.get('alice-token'));
  });

  it('refuses a token the verifier rejects: 401 invalid_token', async () => {
    const { bearer } = await setup();
    const { context, response } = httpContext(bearerRequest('forged-token'));
    expect(await refusalOf(bearer.canActivate(context))).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(response.getHeader('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('refuses a revoked token: 401 invalid_token naming the reason', async () => {
    const { bearer, revocations } = await setup();
    await revocations.revokeSid('kc-alice');
    await revocations.revokeSubject('bob');
    const alice = httpContext(bearerRequest('alice-token'));
    expect(await refusalOf(bearer.canActivate(alice.context))).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'access token has been revoked (sid)' },
    });
    expect(alice.response.getHeader('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await refusalOf(bearer.canActivate(httpContext(bearerRequest('bob-token')).context))).toMatchObject({
      body: { error_description: 'access token has been revoked (subject)' },
    });
  });

  it("with failurePolicy 'refuse', a possibly stale revocation view is 503; with 'allow' the token passes", async () => {
    const refusing = await setup();
    refusing.goStale();
    expect(await refusalOf(refusing.bearer.canActivate(httpContext(bearerRequest('alice-token')).context))).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'revocation state may be stale (shared log unreachable); refusing by policy' },
    });
    const allowing = await setup({ failurePolicy: 'allow' });
    allowing.goStale();
    expect(await allowing.bearer.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
  });
});

/** One handler, inherited by two controllers whose class decorators differ. */
class BaseRoutes {
  shared(): string {
    return 'shared';
  }
}
@Public()
class PublicRoutes extends BaseRoutes {}
class ClosedRoutes extends BaseRoutes {}
@Roles('realm:admin')
class AdminRoutes extends BaseRoutes {}

/** The context Nest builds for `BaseRoutes.prototype.shared` reached through `owner`. */
function inheritedContext(request: object, owner: new () => BaseRoutes) {
  const response = Object.setPrototypeOf(new ServerResponse(new IncomingMessage(new Socket())), express.response) as ServerResponse;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  return new ExecutionContextHost([request, response, () => undefined], owner, BaseRoutes.prototype.shared);
}

describe('KeycloakBearerGuard hot path', () => {
  it('answers true at once (no promise) for a token verified before, and a promise the first time', async () => {
    const { bearer, verifier } = await setup();
    const first = bearer.canActivate(httpContext(bearerRequest('alice-token')).context);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe(true);
    const request = bearerRequest('alice-token');
    expect(bearer.canActivate(httpContext(request).context)).toBe(true);
    expect(request.accessTokenClaims).toBe(TOKENS.get('alice-token'));
    expect(verifier.calls).toBe(1);
  });

  it('checks revocations, the failure policy and the refusal log on the synchronous path too', async () => {
    const { bearer, revocations, refusals, goStale } = await setup();
    expect(await bearer.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
    await revocations.revokeSid('kc-alice');
    const alice = httpContext(bearerRequest('alice-token'));
    expect(await refusalOf(bearer.canActivate(alice.context))).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'access token has been revoked (sid)' },
    });
    expect(alice.response.getHeader('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await bearer.canActivate(httpContext(bearerRequest('bob-token')).context)).toBe(true);
    goStale();
    expect(await refusalOf(bearer.canActivate(httpContext(bearerRequest('bob-token')).context))).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    expect(refusals.counts()).toEqual({ 'bearer-guard:revoked_sid': 1, 'bearer-guard:stale_view': 1 });
  });

  it('answers a request bringing the very header a token was verified from without reading the token out of it; another form of it is read as before', async () => {
    const { bearer, verifier } = await setup();
    expect(await bearer.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
    expect([...verifier.byCredential.keys()]).toEqual(['Bearer alice-token']);
    const again = bearerRequest(['alice', 'token'].join('-')); // an equal, separate string, as the next request brings
    expect(bearer.canActivate(httpContext(again).context)).toBe(true);
    expect(again.accessTokenClaims).toBe(TOKENS.get('alice-token'));
    expect(verifier.credentialHits).toBe(1);
    const otherForm = { headers: { authorization: 'bearer  alice-token' } } as RequestWithAccessToken & { headers: Record<string, string> };
    expect(bearer.canActivate(httpContext(otherForm).context)).toBe(true);
    expect(otherForm.accessTokenClaims).toBe(TOKENS.get('alice-token'));
    expect(verifier.credentialHits).toBe(1);
    expect(verifier.calls).toBe(1);
  });

  it('refuses a token found by its header once it has expired: 401 invalid_token', async () => {
    const { bearer, verifier, refusals } = await setup();
    expect(await bearer.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
    vi.spyOn(verifier, 'cachedCredential').mockImplementation(() => {
      throw new TokenInvalidError('expired', 'access token has expired');
    });
    expect(await refusalOf(bearer.canActivate(httpContext(bearerRequest('alice-token')).context))).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'access token has expired' },
    });
    expect(refusals.counts()).toEqual({ 'bearer-guard:token_invalid': 1 });
  });

  it('a guard that reads its token elsewhere (extractToken overridden) is never answered from the Authorization header', async () => {
    @Injectable()
    class ApiTokenGuard extends KeycloakBearerGuard {
      protected override extractToken(request: { headers: Record<string, unknown> }): string | undefined {
        const value = request.headers['x-api-token'];
        return typeof value === 'string' ? value : undefined;
      }
    }
    const { bearer, verifier, moduleRef } = await setup({}, { guards: [ApiTokenGuard] });
    const apiToken = moduleRef.get(ApiTokenGuard);
    // Alice's header is known to the verifier...
    expect(await bearer.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
    // ...but this guard reads x-api-token: without one it refuses, with Bob's it admits Bob.
    expect(await refusalOf(apiToken.canActivate(httpContext(bearerRequest('alice-token')).context))).toMatchObject({ status: 401, body: { error_description: 'missing bearer token' } });
    const bob = { headers: { authorization: 'Bearer alice-token', 'x-api-token': 'bob-token' } } as RequestWithAccessToken & { headers: Record<string, string> };
    expect(await apiToken.canActivate(httpContext(bob).context)).toBe(true);
    expect(bob.accessTokenClaims).toBe(TOKENS.get('bob-token'));
    expect(verifier.credentialHits).toBe(0);
  });

  it('GraphQL over HTTP: the very header a token was verified from answers the next operations; a subscription\'s connectionParams come first', async () => {
    const { bearer, verifier } = await setup();
    const query = { req: { headers: { authorization: 'Bearer alice-token' } } };
    expect(await bearer.canActivate(graphqlCall(query))).toBe(true);
    expect([...verifier.byCredential.keys()]).toEqual(['Bearer alice-token']);
    const next = { req: { headers: { authorization: ['Bearer', 'alice-token'].join(' ') } } };
    expect(bearer.canActivate(graphqlCall(next))).toBe(true);
    expect((next as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('alice-token'));
    expect(verifier.credentialHits).toBe(1);
    // The same known header behind a subscription whose connectionParams carry Bob's token: Bob.
    const subscription = { connectionParams: { authorization: 'Bearer bob-token' }, req: { headers: { authorization: 'Bearer alice-token' } } };
    expect(await bearer.canActivate(graphqlCall(subscription))).toBe(true);
    expect((subscription as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('bob-token'));
    expect(verifier.credentialHits).toBe(1);
    // Bob's token was verified from connectionParams, not from a header: none is kept for it.
    expect([...verifier.byCredential.keys()]).toEqual(['Bearer alice-token']);
  });

  it('GraphQL: a guard that reads its token elsewhere (tokenFromGraphql overridden) is never answered from the Authorization header; over HTTP it still is', async () => {
    @Injectable()
    class GraphqlApiTokenGuard extends KeycloakBearerGuard {
      protected override tokenFromGraphql(graphqlContext: Record<string, unknown>): string | undefined {
        const value = (graphqlContext.req as { headers: Record<string, unknown> }).headers['x-api-token'];
        return typeof value === 'string' ? value : undefined;
      }
    }
    const { bearer, verifier, moduleRef } = await setup({}, { guards: [GraphqlApiTokenGuard] });
    const apiToken = moduleRef.get(GraphqlApiTokenGuard);
    expect(await bearer.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
    // Alice's header is known, but this guard reads x-api-token in GraphQL: Bob.
    const bob = { req: { headers: { authorization: 'Bearer alice-token', 'x-api-token': 'bob-token' } } };
    expect(await apiToken.canActivate(graphqlCall(bob))).toBe(true);
    expect((bob as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('bob-token'));
    expect(verifier.credentialHits).toBe(0);
    expect(apiToken.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
    expect(verifier.credentialHits).toBe(1);
  });

  it('works with a verifier of the app\'s own that keeps no headers (no cachedCredential)', async () => {
    const { bearer, verifier } = await setup({}, { verifier: new StandInVerifier() });
    expect(await bearer.canActivate(httpContext(bearerRequest('alice-token')).context)).toBe(true);
    const again = bearerRequest('alice-token');
    expect(bearer.canActivate(httpContext(again).context)).toBe(true);
    expect(again.accessTokenClaims).toBe(TOKENS.get('alice-token'));
    expect(verifier.calls).toBe(1);
  });

  it.each([
    ['lower-case scheme, two spaces', 'bearer  alice-token'],
    ['upper-case scheme, trailing spaces', 'BEARER alice-token   '],
  ])('accepts a well-formed header: %s', async (_case, authorization) => {
    const { bearer } = await setup();
    const request = { headers: { authorization } } as RequestWithAccessToken & { headers: Record<string, string> };
    expect(await bearer.canActivate(httpContext(request).context)).toBe(true);
    expect(request.accessTokenClaims).toBe(TOKENS.get('alice-token'));
  });

  it.each([
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['a tab instead of a space', 'Bearer\talice-token'],
    ['no space', 'Beareralice-token'],
    ['a character outside b64token', 'Bearer alice$token'],
    ['two tokens', 'Bearer alice-token bob-token'],
    ['padding before the end', 'Bearer alice=token'],
    ['a non-ASCII character', 'Bearer alice-tokén'],
    ['another scheme', 'Basic YWxpY2U6cHc='],
  ])('refuses a malformed header as a missing token (401 invalid_request), never verifying it: %s', async (_case, authorization) => {
    const { bearer, verifier, refusals } = await setup();
    const { context, response } = httpContext({ headers: { authorization } });
    expect(await refusalOf(bearer.canActivate(context))).toEqual({ status: 401, body: { error: 'invalid_request', error_description: 'missing bearer token' } });
    expect(response.getHeader('www-authenticate')).toBe('Bearer');
    expect(refusals.counts()).toEqual({ 'bearer-guard:missing_token': 1 });
    expect(verifier.calls).toBe(0);
  });

  it.each(['DPoP alice-token', 'dpop alice-token', 'DPoP'])('refuses the DPoP scheme with its own reason: %s', async (authorization) => {
    const { bearer, refusals } = await setup();
    const { context } = httpContext({ headers: { authorization } });
    expect(await refusalOf(bearer.canActivate(context))).toMatchObject({ status: 401, body: { error: 'invalid_request' } });
    expect(refusals.counts()).toEqual({ 'bearer-guard:dpop_unsupported': 1 });
  });

  it.each([
    ['ws: the upgrade request, remembered at the handshake', () => ({ client: nativeSocket(), request: { headers: { authorization: 'Bearer alice-token' }, url: '/live' } })],
    ['socket.io: auth.token', () => ({ client: { ...ioSocket(), handshake: { headers: {}, auth: { token: 'alice-token' } } }, request: undefined })],
  ])('over WebSocket, the messages of an admitted connection are answered at once from its handshake, verified once, registered once: %s', async (_case, connection) => {
    const { bearer, verifier, liveConnections } = await setup();
    const { client, request } = connection();
    class Gateway {}
    expect(await bearer.admitConnection(new Gateway(), client, request)).toBe(true);
    for (let message = 0; message < 3; message++) {
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const context = new ExecutionContextHost([client, {}, 'message'], Routes, Routes.prototype.guarded);
      context.setType('ws');
      expect(bearer.canActivate(context)).toBe(true);
    }
    expect((client as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('alice-token'));
    expect(verifier.calls).toBe(1);
    expect(liveConnections.stats().byKind.websocket).toBe(1);
  });

  it('over WebSocket, messages are answered from the token their connection holds as verified, without a cache lookup; an expired one is refused', async () => {
    const { bearer, verifier, refusals } = await setup();
    const client = nativeSocket();
    class Gateway {}
    expect(await bearer.admitConnection(new Gateway(), client, { headers: { authorization: 'Bearer alice-token' } })).toBe(true);
    const lookups = vi.spyOn(verifier, 'cachedToken');
    const message = () => {
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const context = new ExecutionContextHost([client, {}, 'message'], Routes, Routes.prototype.guarded);
      context.setType('ws');
      return bearer.canActivate(context);
    };
    for (let i = 0; i < 3; i++) expect(message()).toBe(true);
    expect(verifier.rechecks).toBe(3);
    expect(lookups).not.toHaveBeenCalled();
    expect(verifier.calls).toBe(1);
    vi.spyOn(verifier, 'recheck').mockImplementation(() => {
      throw new TokenInvalidError('expired', 'access token has expired');
    });
    const error: unknown = await Promise.resolve(message()).then(() => new Error('the guard let the message through'), (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WsException);
    expect((error as WsException).getError()).toMatchObject({ statusCode: 401, error: 'invalid_token', message: 'access token has expired' });
    expect(refusals.counts()).toEqual({ 'bearer-guard:token_invalid': 1 });
  });

  it('over WebSocket, with a verifier of the app\'s own that cannot recheck a held token, messages are answered from its cache', async () => {
    const { bearer, verifier } = await setup({}, { verifier: new StandInVerifier() });
    const client = nativeSocket();
    class Gateway {}
    expect(await bearer.admitConnection(new Gateway(), client, { headers: { authorization: 'Bearer alice-token' } })).toBe(true);
    const lookups = vi.spyOn(verifier, 'cachedToken');
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const context = new ExecutionContextHost([client, {}, 'message'], Routes, Routes.prototype.guarded);
    context.setType('ws');
    expect(bearer.canActivate(context)).toBe(true);
    expect(lookups).toHaveBeenCalledTimes(1);
    expect(verifier.calls).toBe(1);
  });

  it("over WebSocket, a connection's handshake is read once; its messages are still checked for revocation, each connection with its own token", async () => {
    const { bearer, revocations, refusals } = await setup();
    const read = vi.spyOn(bearer as unknown as { tokenFromHandshake: (handshake: unknown) => string | undefined }, 'tokenFromHandshake');
    const alice = nativeSocket();
    const bob = nativeSocket();
    const message = (client: object) => {
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const context = new ExecutionContextHost([client, {}, 'message'], Routes, Routes.prototype.guarded);
      context.setType('ws');
      return bearer.canActivate(context);
    };
    /** A gateway's refusal is a WsException: its payload. */
    const wsRefusalOf = async (attempt: boolean | Promise<boolean>) => {
      const error: unknown = await Promise.resolve(attempt).then(() => new Error('the guard let the message through'), (thrown: unknown) => thrown);
      if (!(error instanceof WsException)) throw error;
      return error.getError();
    };
    // A message before the upgrade request is known finds no token; that is not remembered.
    expect(await wsRefusalOf(message(alice))).toMatchObject({ statusCode: 401, error: 'invalid_request' });
    class Gateway {}
    expect(await bearer.admitConnection(new Gateway(), alice, { headers: { authorization: 'Bearer alice-token' } })).toBe(true);
    expect(await bearer.admitConnection(new Gateway(), bob, { headers: { authorization: 'Bearer bob-token' } })).toBe(true);
    const readsAfterAdmission = read.mock.calls.length;
    for (let round = 0; round < 3; round++) {
      expect(message(alice)).toBe(true);
      expect(message(bob)).toBe(true);
    }
    expect(read.mock.calls.length).toBe(readsAfterAdmission);
    expect((alice as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('alice-token'));
    expect((bob as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('bob-token'));

    await revocations.revokeSid('kc-alice');
    expect(await wsRefusalOf(message(alice))).toMatchObject({ statusCode: 401, error: 'invalid_token' });
    expect(message(bob)).toBe(true);
    expect(refusals.counts()).toMatchObject({ 'bearer-guard:revoked_sid': 1 });
  });

  it('GraphQL: a bearer token in connectionParams is verified even when the HTTP request says DPoP; with no bearer token anywhere, DPoP is the reason', async () => {
    const { bearer, refusals } = await setup();
    const withToken = { connectionParams: { authorization: 'Bearer bob-token' }, req: { headers: { authorization: 'DPoP alice-token' } } };
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const admitted = new ExecutionContextHost([{}, {}, withToken, {}], Routes, Routes.prototype.guarded);
    admitted.setType('graphql');
    expect(await bearer.canActivate(admitted)).toBe(true);
    expect((withToken as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('bob-token'));
    const without = { req: { headers: { authorization: 'DPoP alice-token' } } };
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const refused = new ExecutionContextHost([{}, {}, without, {}], Routes, Routes.prototype.guarded);
    refused.setType('graphql');
    await expect(Promise.resolve(bearer.canActivate(refused))).rejects.toBeDefined();
    expect(refusals.counts()).toEqual({ 'bearer-guard:dpop_unsupported': 1 });
  });

  it('over WebSocket and GraphQL, a malformed source still falls through to the next one', async () => {
    const { bearer } = await setup();
    const client = { handshake: { headers: { authorization: 'Bearer alice-token' }, auth: { token: 'bad$token' } } };
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const ws = new ExecutionContextHost([client, {}, 'message'], Routes, Routes.prototype.guarded);
    ws.setType('ws');
    expect(await bearer.canActivate(ws)).toBe(true);
    const graphqlContext = { connectionParams: { authorization: 'Bearer bad$token' }, req: { headers: { authorization: 'Bearer bob-token' } } };
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const graphql = new ExecutionContextHost([{}, {}, graphqlContext, {}], Routes, Routes.prototype.guarded);
    graphql.setType('graphql');
    expect(await bearer.canActivate(graphql)).toBe(true);
    expect((graphqlContext as RequestWithAccessToken).accessTokenClaims).toBe(TOKENS.get('bob-token'));
  });

  it('a handler inherited by a @Public() and a guarded controller is public in the one and guarded in the other', async () => {
    const { bearer } = await setup();
    for (let round = 0; round < 2; round++) {
      expect(await bearer.canActivate(inheritedContext({ headers: {} }, PublicRoutes))).toBe(true);
      expect(await refusalOf(bearer.canActivate(inheritedContext({ headers: {} }, ClosedRoutes)))).toMatchObject({ status: 401 });
    }
  });

  it("a handler inherited by a @Roles() controller needs the role there only, whichever class is asked first", async () => {
    const { bearer } = await setup();
    for (let round = 0; round < 2; round++) {
      expect(await bearer.canActivate(inheritedContext(bearerRequest('alice-token'), ClosedRoutes))).toBe(true);
      expect(await refusalOf(bearer.canActivate(inheritedContext(bearerRequest('alice-token'), AdminRoutes)))).toMatchObject({
        status: 403,
        body: { error: 'access_denied' },
      });
    }
  });
});

/** express-session's Session: its constructor is private in @types/express-session, public in the package. */
const ExpressSession = Session as unknown as new (request: object, data: object) => SessionObject;

/** A request as express-session leaves it: a real Session, kept in a real MemoryStore. */
async function sessionRequest(login: Record<string, unknown> | undefined, sessionId = 'sess-1') {
  const store = new MemoryStore();
  const request: SessionRequest = { headers: {}, sessionID: sessionId, sessionStore: store };
  request.session = new ExpressSession(request, login === undefined ? {} : { keycloak: login });
  await promisify(store.set.bind(store))(sessionId, request.session as never);
  const stored = () => promisify(store.get.bind(store))(sessionId);
  return { request, stored };
}

describe('KeycloakSessionGuard', () => {
  it('lets a @Public() route through without a session', async () => {
    const { session } = await setup();
    expect(await session.canActivate(httpContext({ headers: {} }, 'open').context)).toBe(true);
  });

  it('refuses a session without a login record: 401 login_required', async () => {
    const { session } = await setup();
    const { request } = await sessionRequest(undefined);
    expect(await refusalOf(session.canActivate(httpContext(request).context))).toEqual({
      status: 401,
      body: { error: 'login_required', error_description: 'no signed-in session' },
    });
  });

  it('accepts a session no logout revoked, and puts its login record on the request', async () => {
    const { session } = await setup();
    const login = { sub: 'alice', sid: 'kc-alice', issuedAt: nowSeconds() };
    const { request } = await sessionRequest(login);
    expect(await session.canActivate(httpContext(request).context)).toBe(true);
    expect(request.keycloakSession).toEqual(login);
  });

  it('refuses a revoked session with the reason and destroys it in the session store', async () => {
    const { session, revocations } = await setup();
    await revocations.revokeSid('kc-alice');
    const { request, stored } = await sessionRequest({ sub: 'alice', sid: 'kc-alice', issuedAt: nowSeconds() });
    expect(await refusalOf(session.canActivate(httpContext(request).context))).toEqual({
      status: 401,
      body: { error: 'login_required', error_description: 'session has been logged out (sid)' },
    });
    expect(request.session).toBeUndefined();
    expect(await stored()).toBeUndefined();
  });

  it('refuses a session whose app session id was revoked (Keycloak admin LOGOUT)', async () => {
    const { session, revocations } = await setup();
    await revocations.revokeAdapterSession('sess-7');
    const { request } = await sessionRequest({ sub: 'carol', issuedAt: nowSeconds() }, 'sess-7');
    expect(await refusalOf(session.canActivate(httpContext(request).context))).toMatchObject({
      body: { error_description: 'session has been logged out (adapter-session)' },
    });
  });

  it('destroys a session whose login is older than maxSessionAge, and accepts one just younger', async () => {
    const { session } = await setup({ maxSessionAge: 600 });
    const old = await sessionRequest({ sub: 'dave', issuedAt: nowSeconds() - 610 });
    expect(await refusalOf(session.canActivate(httpContext(old.request).context))).toEqual({
      status: 401,
      body: { error: 'login_required', error_description: 'session is older than maxSessionAge; sign in again' },
    });
    expect(await old.stored()).toBeUndefined();
    const young = await sessionRequest({ sub: 'dave', issuedAt: nowSeconds() - 590 });
    expect(await session.canActivate(httpContext(young.request).context)).toBe(true);
  });

  it("with failurePolicy 'refuse', a possibly stale view is 503 and the session is kept", async () => {
    const { session, goStale } = await setup();
    goStale();
    const { request, stored } = await sessionRequest({ sub: 'erin', issuedAt: nowSeconds() });
    expect(await refusalOf(session.canActivate(httpContext(request).context))).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    expect(await stored()).toBeDefined();
  });
});
