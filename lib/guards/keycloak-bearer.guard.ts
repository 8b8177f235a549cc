import { Injectable, type ExecutionContext } from '@nestjs/common';
import type { ContextKind } from '../contexts/context-kind.js';
import { connectionParamsOf, graphqlContextOf, graphqlRequestOf } from '../contexts/graphql-context.js';
import { headerValue, type HeaderBag } from '../contexts/header-bag.js';
import { rpcHeader } from '../contexts/rpc-metadata.js';
import { wsClientOf } from '../contexts/ws-client.js';
import { handshakeOf, type WsHandshake } from '../contexts/ws-handshake.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';
import { AccessTokenVerifierService } from '../tokens/access-token-verifier.service.js';
import type { AccessTokenClaims } from '../tokens/access-token-claims.interface.js';
import type { VerifiedAccessToken } from '../tokens/verified-token-cache.js';
import { bearerCandidate, bearerToken, isB64Token, isDPoPScheme } from './bearer-credentials.js';
import type { GuardRefusal } from './guard-refusal.js';
import { RevocationGuardBase } from './revocation-guard.base.js';

const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

/**
 * `Authorization: DPoP …` (RFC 9449 §7.1): the token is bound to a key whose proof this guard
 * does not check, so a call that brings no bearer token but this is refused with its own reason
 * instead of "missing bearer token". A bearer token found elsewhere (an `extractToken` override,
 * GraphQL `connectionParams`) is verified as any other.
 */
function usesDPoPScheme(request: { headers: HeaderBag } | undefined): boolean {
  const header = request?.headers.authorization;
  return typeof header === 'string' && isDPoPScheme(header);
}

/**
 * Calls the bearer guard has let through carry the verified claims here. On Express the name is
 * an accessor of the app's request prototype over a WeakMap, so the request does not grow
 * (lib/contexts/request-credentials.ts); elsewhere it is a property of the carrier.
 */
export interface RequestWithAccessToken {
  accessTokenClaims?: AccessTokenClaims;
}

/**
 * For APIs: accepts a call only with a valid access token from the realm that no logout has
 * revoked (by `sid`, by the user's watermark, or by the client not-before), even though the
 * token itself has not expired. Register with `@UseGuards(KeycloakBearerGuard)` or `APP_GUARD`.
 *
 * Where the token is read, per context (each a protected hook, to override):
 * - HTTP: `Authorization: Bearer …` (`extractToken`).
 * - GraphQL: a subscription's graphql-ws `connectionParams` (`authorization` in any case,
 *   `Bearer …`), else the HTTP request's `Authorization` header (`tokenFromGraphql`).
 * - WebSocket, from the handshake (`tokenFromHandshake`): socket.io's `auth` payload (`token`,
 *   or `authorization: 'Bearer …'`); the `Authorization` header; a `Sec-WebSocket-Protocol`
 *   list `bearer, <token>`; the query parameter named by `bearer.queryParameter` when set.
 * - RPC: the message's `authorization` header: NATS headers, TCP packet metadata (`tokenFromRpc`).
 */
@Injectable()
export class KeycloakBearerGuard extends RevocationGuardBase {
  /** Per WebSocket client, the token its handshake carries and, once verified, the token as verified (see connectionOf). */
  private readonly connections = new WeakMap<object, WsConnection>();

  /**
   * Whether an HTTP request's `Authorization` header may be matched whole against the headers
   * tokens were verified from (see authenticate): only while tokens are read from that header as
   * here (tokenOf and extractToken not overridden), and with a verifier that keeps them (an
   * app's own stand-in for AccessTokenVerifierService may not).
   */
  private readonly matchesWholeHeader: boolean;

  /** The same for a GraphQL operation over HTTP, which also needs tokenFromGraphql as here. */
  private readonly matchesWholeGraphqlHeader: boolean;

  /**
   * Whether a WebSocket connection may hold its verified token (see connectionOf): not when
   * tokenOf is overridden, nor with a verifier of the app's own that cannot recheck it.
   */
  private readonly holdsConnectionTokens: boolean;

  constructor(private readonly verifier: AccessTokenVerifierService) {
    super();
    // A subclass that reads tokens its own way (tokenOf, extractToken) is never bypassed.
    const readsTokensAsHere = this.tokenOf === KeycloakBearerGuard.prototype.tokenOf;
    this.matchesWholeHeader = readsTokensAsHere && this.extractToken === KeycloakBearerGuard.prototype.extractToken && typeof verifier.cachedCredential === 'function';
    this.matchesWholeGraphqlHeader = this.matchesWholeHeader && this.tokenFromGraphql === KeycloakBearerGuard.prototype.tokenFromGraphql;
    this.holdsConnectionTokens = readsTokensAsHere && typeof verifier.recheck === 'function';
  }

  /**
   * Synchronous for a token verified before (the steady state: no promise, no allocation);
   * a promise when the token must be verified first.
   */
  protected authenticate(context: ExecutionContext, kind: ContextKind): RevocationSubject | Promise<RevocationSubject> {
    // Read once for the expiry and the revocation horizon: a clock read costs about as much as
    // the cache lookup (some 360 instructions under callgrind).
    const now = Date.now();
    // HTTP (and GraphQL over HTTP): the header a token was verified from is kept with it, so the
    // same header again (a client's next request) is matched as a whole, without taking the token
    // out of it (a slice and its scans: the guard's own instructions went from ~2,700 to ~1,900
    // under callgrind). Reading that header always yields that token, so the match is exact.
    const credential = this.authorizationHeaderOf(context, kind);
    if (credential !== undefined) {
      const known = this.cached(credential, 'credential', now);
      if (known !== undefined) return this.admit(context, kind, known, now);
    }
    // WebSocket: a connection holds its token as verified, checked again without a lookup.
    const connection = kind === 'ws' && this.holdsConnectionTokens ? this.connectionOf(wsClientOf(context)) : undefined;
    if (connection?.verified !== undefined) {
      const known = this.held(connection.verified, now);
      if (known !== undefined) return this.admit(context, kind, known, now);
    }
    const token = connection === undefined ? this.tokenOf(context, kind) : connection.token;
    if (token === undefined) {
      // Looked at only when no bearer token was found: on Express every read of the request goes
      // through V8's runtime (request-credentials.ts), and a found token needs no second read.
      if (usesDPoPScheme(this.httpRequestOf(context, kind))) {
        throw this.refusal(401, 'invalid_request', 'the DPoP authorization scheme is not supported: this API accepts bearer tokens only', 'dpop_unsupported', 'Bearer');
      }
      throw this.missingToken();
    }
    // A hit is a token that passed verification, so its characters need no second look.
    const verified = this.cached(token, 'token', now);
    if (verified === undefined) return this.verifyThenAdmit(context, kind, token, credential, connection);
    this.hold(connection, verified);
    return this.admit(context, kind, verified, now);
  }

  /** A lookup in the verification cache, by the token or by the header it was verified from; an expired token is refused. */
  private cached(value: string, by: 'token' | 'credential', now: number): VerifiedAccessToken | undefined {
    try {
      return by === 'token' ? this.verifier.cachedToken(value, now) : this.verifier.cachedCredential(value, now);
    } catch (error) {
      throw this.refusalFrom(error, INVALID_TOKEN_CHALLENGE);
    }
  }

  /** A connection's verified token checked again (expiry), or undefined when the verifier would rather verify again; an expired token is refused. */
  private held(verified: VerifiedAccessToken, now: number): VerifiedAccessToken | undefined {
    try {
      return this.verifier.recheck(verified, now);
    } catch (error) {
      throw this.refusalFrom(error, INVALID_TOKEN_CHALLENGE);
    }
  }

  /** Lets a WebSocket connection hold its token as verified, for its later messages. */
  private hold(connection: WsConnection | undefined, verified: VerifiedAccessToken): void {
    if (connection !== undefined) connection.verified = verified;
  }

  /**
   * `credential`: the header the token was read from, kept with it once verified (see
   * authenticate); `connection`: the WebSocket connection that brought it, which holds it then.
   */
  private async verifyThenAdmit(context: ExecutionContext, kind: ContextKind, token: string, credential: string | undefined, connection: WsConnection | undefined): Promise<RevocationSubject> {
    // Not seen before: the token's characters are checked here (RFC 6750 b64token), as they were
    // when a regular expression took it out of the header, with the same refusal.
    if (!isB64Token(token)) throw this.missingToken();
    let verified: VerifiedAccessToken;
    try {
      verified = await this.verifier.verifyToken(token, credential);
    } catch (error) {
      throw this.refusalFrom(error, INVALID_TOKEN_CHALLENGE);
    }
    this.hold(connection, verified);
    return this.admit(context, kind, verified, Date.now());
  }

  /** The checks after verification: the failure policy, revocations, `@Roles()` / `@Scopes()`. */
  private admit(context: ExecutionContext, kind: ContextKind, verified: VerifiedAccessToken, now: number): RevocationSubject {
    this.assertViewFresh();
    const reason = this.revocations.revocationReason(verified.subject, verified.revocationMemo, now);
    if (reason !== undefined) {
      throw this.refusal(401, 'invalid_token', `access token has been revoked (${reason})`, `revoked_${reason}`, INVALID_TOKEN_CHALLENGE);
    }
    this.assertAllowed(context, verified.claims);
    this.leave(context, kind, 'accessTokenClaims', verified.claims);
    return verified.subject;
  }

  private missingToken(): GuardRefusal {
    return this.refusal(401, 'invalid_request', 'missing bearer token', 'missing_token', 'Bearer');
  }

  /** The token of the call, wherever its context carries it. */
  protected tokenOf(context: ExecutionContext, kind: ContextKind): string | undefined {
    switch (kind) {
      case 'http':
        return this.extractToken(context.getArgByIndex<{ headers: HeaderBag }>(0));
      case 'graphql':
        return this.tokenFromGraphql(graphqlContextOf(context));
      case 'ws':
        return this.connectionOf(wsClientOf(context))?.token;
      case 'rpc':
        return this.tokenFromRpc(context);
    }
  }

  /**
   * The token from `Authorization: Bearer …` (RFC 6750 §2.1; the scheme in any case, RFC 7235
   * §2.1). Override to read it elsewhere. Its characters need not be checked here: the guard
   * checks them (RFC 6750 b64token, else "missing bearer token") before verifying a token it
   * has not verified before.
   */
  protected extractToken(request: { headers: Record<string, unknown> }): string | undefined {
    const header = request.headers.authorization;
    return typeof header === 'string' ? bearerCandidate(header) : undefined;
  }

  /** GraphQL: the subscription's `connectionParams.authorization`, else the HTTP request's header. */
  protected tokenFromGraphql(graphqlContext: Record<string, unknown>): string | undefined {
    const params = connectionParamsOf(graphqlContext);
    // Checked here: a malformed value there falls back to the HTTP request's header.
    const fromParams = this.bearerValue(headerValue(params, 'authorization'));
    if (fromParams !== undefined) return fromParams;
    const request = graphqlRequestOf(graphqlContext);
    return request === undefined ? undefined : this.extractToken(request);
  }

  /**
   * WebSocket: the handshake's socket.io `auth`, `Authorization` header, subprotocols, or
   * (opt-in) query. Read once per connection: the token found is kept for its later messages.
   */
  protected tokenFromHandshake(handshake: WsHandshake): string | undefined {
    const auth = handshake.auth;
    if (auth !== undefined) {
      // Each source checked where it is read: a malformed one falls through to the next.
      if (typeof auth.token === 'string' && this.isWellFormed(auth.token)) return auth.token;
      const fromAuth = this.bearerValue(headerValue(auth, 'authorization'));
      if (fromAuth !== undefined) return fromAuth;
    }
    const fromHeader = this.extractToken(handshake);
    if (fromHeader !== undefined && this.isWellFormed(fromHeader)) return fromHeader;
    const fromProtocols = tokenFromSubprotocols(handshake.headers['sec-websocket-protocol']);
    if (fromProtocols !== undefined) return fromProtocols;
    const parameter = this.options.bearer.queryParameter;
    if (parameter === undefined || handshake.url === undefined) return undefined;
    const value = new URL(handshake.url, 'http://handshake.invalid').searchParams.get(parameter);
    return value !== null && isB64Token(value) ? value : undefined;
  }

  /**
   * A WebSocket connection's token: its handshake never changes, so it is read once
   * (tokenFromHandshake) and kept for the connection's later messages, and once verified the
   * connection holds it as verified: a message then costs a check of its expiry (and of
   * revocations, as always), with no lookup in the verification cache. Undefined while the
   * handshake carries no token.
   */
  private connectionOf(client: unknown): WsConnection | undefined {
    if (typeof client !== 'object' || client === null) return undefined;
    const known = this.connections.get(client);
    if (known !== undefined) return known;
    const handshake = handshakeOf(client);
    const token = handshake === undefined ? undefined : this.tokenFromHandshake(handshake);
    if (token === undefined) return undefined;
    const connection: WsConnection = { token, verified: undefined };
    this.connections.set(client, connection);
    return connection;
  }

  /** RPC: the message's `authorization` header (NATS headers, TCP packet metadata). */
  protected tokenFromRpc(context: ExecutionContext): string | undefined {
    return this.bearerValue(rpcHeader(context, 'authorization'));
  }

  /**
   * Whether a value read as the token has a token's characters (RFC 6750 b64token). A token
   * verified before passed a stricter check, so the cache answers first: a WebSocket connection
   * brings the same token with every message, and scanning its ~1 KB each time was most of what
   * the guard cost per message.
   */
  private readonly isWellFormed = (candidate: string): boolean => this.verifier.isCached(candidate) || isB64Token(candidate);

  /** The token of a `Bearer <token>` value when it is well formed (isWellFormed), else undefined. */
  private bearerValue(value: string | undefined): string | undefined {
    return bearerToken(value, this.isWellFormed);
  }

  /**
   * The `Authorization` header the call's token is read from, for the whole-header match (see
   * authenticate): an HTTP request's, or a GraphQL operation's HTTP request's when no graphql-ws
   * `connectionParams` come first. Undefined in the other contexts, or when not matched whole.
   */
  private authorizationHeaderOf(context: ExecutionContext, kind: ContextKind): string | undefined {
    const matched = kind === 'http' ? this.matchesWholeHeader : kind === 'graphql' && this.matchesWholeGraphqlHeader;
    if (!matched) return undefined;
    // A subscription's token comes from its connectionParams first: not this header's.
    if (kind === 'graphql' && connectionParamsOf(graphqlContextOf(context)) !== undefined) return undefined;
    const header = this.httpRequestOf(context, kind)?.headers.authorization;
    return typeof header === 'string' ? header : undefined;
  }

  /** The HTTP request whose `Authorization` header names the scheme (HTTP, GraphQL over HTTP). */
  private httpRequestOf(context: ExecutionContext, kind: ContextKind): { headers: HeaderBag } | undefined {
    if (kind === 'http') return context.getArgByIndex<{ headers: HeaderBag }>(0);
    if (kind === 'graphql') return graphqlRequestOf(graphqlContextOf(context));
    return undefined;
  }
}

/** What the bearer guard keeps per WebSocket connection. */
interface WsConnection {
  /** The token its handshake carries. */
  readonly token: string;
  /** That token as verified, once it was (see KeycloakBearerGuard.connectionOf). */
  verified: VerifiedAccessToken | undefined;
}

/**
 * Browsers cannot set headers on a WebSocket, only subprotocols: the entry after `bearer` in
 * `Sec-WebSocket-Protocol` is the token (RFC 6455 §11.3.4 lists comma-separated tokens, which a
 * JWT's characters are). The server selects `bearer`, the first entry, so the token is not echoed.
 */
function tokenFromSubprotocols(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const entries = header.split(',').map((entry) => entry.trim());
  const index = entries.findIndex((entry) => entry.toLowerCase() === 'bearer');
  const token = index >= 0 ? entries[index + 1] : undefined;
  return token !== undefined && isB64Token(token) ? token : undefined;
}
