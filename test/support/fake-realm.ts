import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, CompactSign, type JWK, type CryptoKey } from 'jose';
import { KeycloakTokenLogout } from './keycloak-token-logout.js';

/** One signing key of the fake realm. */
export interface RealmKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createRealmKey(kid: string, alg = 'RS256'): Promise<RealmKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/**
 * A stand-in for a Keycloak realm's public surface, for tests that need what the real test
 * OP cannot do (Keycloak's exact logout-token and admin-action shapes, malformed variants,
 * Keycloak's refresh-token logout): discovery, JWKS and the token logout at Keycloak's paths,
 * signing with the published keys, key rotation, a JWKS fetch counter, and outage switches (an
 * error status, a slow answer, a discovery document naming another issuer).
 */
export class FakeRealm {
  readonly keys: RealmKey[] = [];
  /** `POST …/protocol/openid-connect/logout` with a refresh token: its clients, tokens and requests. */
  readonly tokenLogout = new KeycloakTokenLogout();
  jwksFetches = 0;
  /** When set, the JWKS endpoint answers this status instead of the keys. */
  jwksStatus: number | undefined;
  discoveryStatus: number | undefined;
  /** When set, the JWKS endpoint waits this many ms before answering (a slow or hanging OP). */
  jwksDelayMs: number | undefined;
  discoveryDelayMs: number | undefined;
  /** When set, the discovery document names this issuer instead of the realm's own. */
  discoveryIssuer: string | undefined;
  discoveryFetches = 0;
  private server!: Server;
  /** Delayed answers not yet sent, so that close() does not wait for them. */
  private readonly delayed = new Set<{ timer: NodeJS.Timeout; response: ServerResponse }>();
  issuer = '';

  static async start(realm = 'demo'): Promise<FakeRealm> {
    const fake = new FakeRealm();
    fake.keys.push(await createRealmKey('key-1'));
    await fake.listen(realm);
    return fake;
  }

  get jwksUri(): string {
    return `${this.issuer}/protocol/openid-connect/certs`;
  }

  get endSessionEndpoint(): string {
    return `${this.issuer}/protocol/openid-connect/logout`;
  }

  get signingKey(): RealmKey {
    return this.keys[0]!;
  }

  /** Publishes a new key and signs with it from now on (Keycloak key rotation). */
  async rotate(kid: string): Promise<RealmKey> {
    const key = await createRealmKey(kid);
    this.keys.unshift(key);
    return key;
  }

  /** Signs a JWT the way Keycloak's JWSBuilder does: header alg, typ, kid. */
  async sign(payload: Record<string, unknown>, header: Record<string, unknown> = {}, key = this.signingKey): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  /** Signs raw bytes (a Keycloak admin action is a JWS over JSON that is not a JWT claims set). */
  async signRaw(payload: string, header: Record<string, unknown> = {}, key = this.signingKey): Promise<string> {
    return new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  close(): Promise<void> {
    for (const { timer, response } of this.delayed) {
      clearTimeout(timer);
      response.destroy();
    }
    this.delayed.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private listen(realm: string): Promise<void> {
    this.server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', this.issuer).pathname;
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      // The switches are read when the request arrives; the answer may then be held back.
      let delayMs: number | undefined;
      const send = (status: number, body: unknown) => {
        if (delayMs === undefined) return reply(status, body);
        const entry = {
          timer: setTimeout(() => {
            this.delayed.delete(entry);
            if (!response.destroyed) reply(status, body);
          }, delayMs),
          response,
        };
        this.delayed.add(entry);
        // The client gave up (its timeout): nothing left to answer.
        response.once('close', () => {
          clearTimeout(entry.timer);
          this.delayed.delete(entry);
        });
      };
      if (path === `/realms/${realm}/.well-known/openid-configuration`) {
        this.discoveryFetches += 1;
        delayMs = this.discoveryDelayMs;
        if (this.discoveryStatus !== undefined) return send(this.discoveryStatus, { error: 'unavailable' });
        return send(200, {
          issuer: this.discoveryIssuer ?? this.issuer,
          jwks_uri: this.jwksUri,
          authorization_endpoint: `${this.issuer}/protocol/openid-connect/auth`,
          token_endpoint: `${this.issuer}/protocol/openid-connect/token`,
          end_session_endpoint: this.endSessionEndpoint,
          revocation_endpoint: `${this.issuer}/protocol/openid-connect/revoke`,
          backchannel_logout_supported: true,
          backchannel_logout_session_supported: true,
        });
      }
      if (path === `/realms/${realm}/protocol/openid-connect/certs`) {
        this.jwksFetches += 1;
        delayMs = this.jwksDelayMs;
        if (this.jwksStatus !== undefined) return send(this.jwksStatus, { error: 'unavailable' });
        return send(200, { keys: this.keys.map((k) => k.publicJwk) });
      }
      if (request.method === 'POST' && path === `/realms/${realm}/protocol/openid-connect/logout`) {
        return void this.tokenLogout.handle(request, response);
      }
      return send(404, { error: 'not_found' });
    });
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        const { port } = this.server.address() as AddressInfo;
        this.issuer = `http://127.0.0.1:${port}/realms/${realm}`;
        resolve();
      });
    });
  }
}
