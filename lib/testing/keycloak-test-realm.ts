import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeycloakLogoutModuleOptions } from '../options/keycloak-logout-options.interface.js';
import { postAdminAction, postBackchannelLogout, routeUrl, type AppAnswer, type AppRoutes } from './app-calls.js';
import {
  keycloakLogoutAction,
  keycloakPushNotBeforeAction,
  keycloakTestAvailabilityAction,
  type AdminActionInput,
  type LogoutActionInput,
  type PushNotBeforeActionInput,
} from './keycloak-admin-actions.js';
import {
  keycloakAccessToken,
  keycloakIdToken,
  keycloakLogoutToken,
  type AccessTokenInput,
  type IdTokenInput,
  type LogoutTokenInput,
} from './keycloak-tokens.js';
import { createRealmKey, type RealmKey } from './realm-key.js';
import { signBytes, signClaims, type KeycloakTokenSigner } from './token-signer.js';

export interface KeycloakTestRealmOptions {
  /** The realm name in the issuer URL. Default `test`. */
  realm?: string;
  /** The client the tokens and admin actions are for when a call names none. Default `test-app`. */
  clientId?: string;
  /** The signing key's algorithm. Default RS256 (Keycloak's default). */
  algorithm?: string;
  /** The signing key's `kid`. Default a random one. */
  keyId?: string;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on. Default 0: a free one. */
  port?: number;
}

/** A builder's input, with the client defaulting to the realm's. */
export type ForClient<T extends { clientId: string }> = Omit<T, 'clientId'> & { clientId?: string };

/** What the app answered to a logout sent at it, with what was sent. */
export interface SentLogout extends AppAnswer {
  /** The logout token or admin-action JWS that was posted. */
  sent: string;
}

/**
 * A local stand-in for one Keycloak realm, for tests of apps that use this module: it serves the
 * realm's discovery document and JWKS at Keycloak's paths on a loopback port, signs
 * Keycloak-shaped access, ID and logout tokens and admin actions with the key it publishes, and
 * sends back-channel logouts and `k_logout` / `k_push_not_before` calls to the app under test.
 * It issues no tokens to browsers: there is no login page and no token endpoint.
 *
 * For "Keycloak is down" tests it counts its discovery and JWKS fetches and can answer them with
 * an error status, late, or with another issuer.
 */
export class KeycloakTestRealm implements KeycloakTokenSigner {
  /** Published keys; the first one signs. */
  readonly keys: RealmKey[] = [];
  /** `http://127.0.0.1:<port>/realms/<realm>`, set once the realm listens. */
  issuer = '';
  /** The client tokens and admin actions are for when a call names none. */
  clientId: string;
  discoveryFetches = 0;
  jwksFetches = 0;
  /** When set, the discovery endpoint answers this status instead of the document. */
  discoveryStatus: number | undefined;
  /** When set, the JWKS endpoint answers this status instead of the keys. */
  jwksStatus: number | undefined;
  /** When set, the discovery endpoint waits this many ms before answering (a slow or hanging Keycloak). */
  discoveryDelayMs: number | undefined;
  /** When set, the JWKS endpoint waits this many ms before answering. */
  jwksDelayMs: number | undefined;
  /** When set, the discovery document names this issuer instead of the realm's own. */
  discoveryIssuer: string | undefined;

  private server: Server | undefined;
  /** Delayed answers not yet sent, so that close() does not wait for them. */
  private readonly delayed = new Set<{ timer: NodeJS.Timeout; response: ServerResponse }>();

  constructor(private readonly options: KeycloakTestRealmOptions = {}) {
    this.clientId = options.clientId ?? 'test-app';
  }

  /** Generates the realm's key and starts serving discovery and JWKS. */
  static async start(options: KeycloakTestRealmOptions = {}): Promise<KeycloakTestRealm> {
    const realm = new KeycloakTestRealm(options);
    await realm.open();
    return realm;
  }

  /** The realm's name, as in the issuer URL. */
  get realmName(): string {
    return this.options.realm ?? 'test';
  }

  get discoveryUrl(): string {
    return `${this.issuer}/.well-known/openid-configuration`;
  }

  get jwksUri(): string {
    return `${this.issuer}/protocol/openid-connect/certs`;
  }

  get endSessionEndpoint(): string {
    return `${this.issuer}/protocol/openid-connect/logout`;
  }

  get signingKey(): RealmKey {
    const key = this.keys[0];
    if (!key) throw new Error('the realm has no key yet: create it with KeycloakTestRealm.start()');
    return key;
  }

  /** Publishes a new key and signs with it from now on (Keycloak's key rotation); the old keys stay published. */
  async rotate(kid?: string, algorithm = this.signingKey.alg): Promise<RealmKey> {
    const key = await createRealmKey(kid, algorithm);
    this.keys.unshift(key);
    return key;
  }

  /** The options of `KeycloakLogoutModule.forRoot()` for an app that trusts this realm. */
  moduleOptions(overrides: Partial<KeycloakLogoutModuleOptions> = {}): KeycloakLogoutModuleOptions {
    return { issuer: this.issuer, clientId: this.clientId, algorithms: [...new Set(this.keys.map((k) => k.alg))], ...overrides };
  }

  /** Signs a JWT claims set as Keycloak's JWSBuilder does: header alg, typ "JWT", kid. */
  async sign(payload: Record<string, unknown>, header: Record<string, unknown> = {}, key?: RealmKey): Promise<string> {
    return signClaims(key ?? this.signingKey, payload, header);
  }

  /** Signs raw JSON (an admin action). */
  async signRaw(payload: string, header: Record<string, unknown> = {}, key?: RealmKey): Promise<string> {
    return signBytes(key ?? this.signingKey, payload, header);
  }

  accessToken(input: ForClient<AccessTokenInput> = {}): Promise<string> {
    return keycloakAccessToken(this, { ...input, clientId: input.clientId ?? this.clientId });
  }

  idToken(input: ForClient<IdTokenInput> = {}): Promise<string> {
    return keycloakIdToken(this, { ...input, clientId: input.clientId ?? this.clientId });
  }

  logoutToken(input: ForClient<LogoutTokenInput> = {}): Promise<string> {
    return keycloakLogoutToken(this, { ...input, clientId: input.clientId ?? this.clientId });
  }

  logoutAction(input: ForClient<LogoutActionInput> = {}): Promise<string> {
    return keycloakLogoutAction(this, { ...input, clientId: input.clientId ?? this.clientId });
  }

  pushNotBeforeAction(input: ForClient<PushNotBeforeActionInput> = {}): Promise<string> {
    return keycloakPushNotBeforeAction(this, { ...input, clientId: input.clientId ?? this.clientId });
  }

  testAvailabilityAction(input: ForClient<AdminActionInput> = {}): Promise<string> {
    return keycloakTestAvailabilityAction(this, { ...input, clientId: input.clientId ?? this.clientId });
  }

  /**
   * Sends the app at `appUrl` a back-channel logout, as Keycloak does when a user session ends:
   * `POST {appUrl}/{routePrefix}/backchannel-logout` with a logout token naming `sid` (and `sub`).
   */
  async backchannelLogout(appUrl: string, input: ForClient<LogoutTokenInput> & AppRoutes = {}): Promise<SentLogout> {
    const sent = await this.logoutToken(input);
    return { ...(await postBackchannelLogout(routeUrl(appUrl, input, 'backchannel-logout'), sent)), sent };
  }

  /**
   * Sends the app a `k_logout` (its Admin URL is `{appUrl}/{routePrefix}`): for the sessions named,
   * or, naming none, "Sign out all active sessions" of the realm (a not-before of now).
   */
  async kLogout(appUrl: string, input: ForClient<LogoutActionInput> & AppRoutes = {}): Promise<SentLogout> {
    const sent = await this.logoutAction(input);
    return { ...(await postAdminAction(routeUrl(appUrl, input, 'k_logout'), sent)), sent };
  }

  /** Sends the app a `k_push_not_before`: tokens issued before `notBefore` (default now) are revoked. */
  async kPushNotBefore(appUrl: string, input: ForClient<PushNotBeforeActionInput> & AppRoutes = {}): Promise<SentLogout> {
    const sent = await this.pushNotBeforeAction(input);
    return { ...(await postAdminAction(routeUrl(appUrl, input, 'k_push_not_before'), sent)), sent };
  }

  /** Sends the app a `k_test_available`, the admin console's "Test availability". */
  async kTestAvailable(appUrl: string, input: ForClient<AdminActionInput> & AppRoutes = {}): Promise<SentLogout> {
    const sent = await this.testAvailabilityAction(input);
    return { ...(await postAdminAction(routeUrl(appUrl, input, 'k_test_available'), sent)), sent };
  }

  async close(): Promise<void> {
    for (const { timer, response } of this.delayed) {
      clearTimeout(timer);
      response.destroy();
    }
    this.delayed.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  /** Creates the signing key (unless one is there) and listens. */
  protected async open(): Promise<void> {
    if (this.keys.length === 0) this.keys.push(await createRealmKey(this.options.keyId, this.options.algorithm ?? 'RS256'));
    const server = createServer((request, response) => this.answer(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        const { address, port } = server.address() as AddressInfo;
        const host = address.includes(':') ? `[${address}]` : address;
        this.issuer = `http://${host}:${port}/realms/${encodeURIComponent(this.realmName)}`;
        resolve();
      });
    });
  }

  /**
   * Answers a request below the realm that discovery and JWKS do not cover; returns false to let
   * the realm answer 404. A subclass can serve more of Keycloak here.
   */
  protected handleOther(_request: IncomingMessage, _response: ServerResponse, _path: string): boolean {
    return false;
  }

  /** Keycloak's discovery document (docs/keycloak-protocol.md §7), at its paths below the issuer. */
  protected discoveryDocument(): Record<string, unknown> {
    const endpoint = (path: string) => `${this.issuer}/protocol/openid-connect/${path}`;
    return {
      issuer: this.discoveryIssuer ?? this.issuer,
      authorization_endpoint: endpoint('auth'),
      token_endpoint: endpoint('token'),
      introspection_endpoint: endpoint('token/introspect'),
      userinfo_endpoint: endpoint('userinfo'),
      end_session_endpoint: this.endSessionEndpoint,
      jwks_uri: this.jwksUri,
      revocation_endpoint: endpoint('revoke'),
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types_supported: ['code'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: [...new Set(this.keys.map((k) => k.alg))],
      code_challenge_methods_supported: ['plain', 'S256'],
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
      authorization_response_iss_parameter_supported: true,
    };
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://realm.invalid').pathname;
    const realmPath = `/realms/${encodeURIComponent(this.realmName)}`;
    // The switches are read when the request arrives; the answer may then be held back.
    let delayMs: number | undefined;
    const send = (status: number, body: unknown) => {
      if (delayMs === undefined) return reply(response, status, body);
      const entry = {
        timer: setTimeout(() => {
          this.delayed.delete(entry);
          if (!response.destroyed) reply(response, status, body);
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
    if (path === `${realmPath}/.well-known/openid-configuration`) {
      this.discoveryFetches += 1;
      delayMs = this.discoveryDelayMs;
      if (this.discoveryStatus !== undefined) return send(this.discoveryStatus, { error: 'unavailable' });
      return send(200, this.discoveryDocument());
    }
    if (path === `${realmPath}/protocol/openid-connect/certs`) {
      this.jwksFetches += 1;
      delayMs = this.jwksDelayMs;
      if (this.jwksStatus !== undefined) return send(this.jwksStatus, { error: 'unavailable' });
      return send(200, { keys: this.keys.map((k) => k.publicJwk) });
    }
    if (path.startsWith(`${realmPath}/`) && this.handleOther(request, response, path.slice(realmPath.length))) return;
    send(404, { error: 'not_found' });
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
