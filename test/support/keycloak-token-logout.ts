/**
 * Keycloak's `POST /realms/{r}/protocol/openid-connect/logout` with a `refresh_token` ("token
 * logout", LogoutEndpoint.logoutToken), which oidc-provider does not have. FakeRealm serves it
 * at that path, next to its discovery document and JWKS. It answers exactly as
 * docs/keycloak-protocol.md §4.2 describes:
 * - client authentication first: a confidential client must send HTTP Basic (or client_id +
 *   client_secret in the form); a wrong or missing secret, or an unknown client, is 401
 *   `unauthorized_client` "Invalid client or Invalid client credentials"; no client_id at all is
 *   400 `invalid_client` "Missing client_id parameter"; a bearer-only client is 400
 *   `invalid_client` "Bearer-only not allowed";
 * - no refresh_token is 400 `invalid_request` "No refresh token";
 * - an unknown refresh token is 400 `invalid_grant` "Invalid refresh token"; one issued to another
 *   client is 400 `invalid_grant` "Invalid refresh token. Token client and authorized client don't match";
 * - otherwise 204, also when the session is already gone (and for an expired token: Keycloak
 *   does not check expiry here).
 * Refresh tokens are opaque random strings here (Keycloak's are HMAC-signed JWTs; the RP never
 * reads them).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A client of the realm, as the token logout authenticates it. */
export interface RealmClient {
  clientId: string;
  /** Confidential when set. */
  secret?: string;
  bearerOnly?: boolean;
}

export interface TokenLogoutRequest {
  authorization: string | undefined;
  form: Record<string, string>;
  status: number;
}

const INVALID_CREDENTIALS = 'Invalid client or Invalid client credentials';

type Refusal = [status: number, error: string, description: string];

export class KeycloakTokenLogout {
  /** Every request answered, in order. */
  readonly requests: TokenLogoutRequest[] = [];
  /** When set, the next request is answered with this status (e.g. 503) before anything else. */
  failNextWith: number | undefined;
  private readonly clients = new Map<string, RealmClient>();
  private readonly tokens = new Map<string, { clientId: string; sessionId: string }>();
  private readonly liveSessions = new Set<string>();

  addClients(...clients: RealmClient[]): void {
    for (const client of clients) this.clients.set(client.clientId, client);
  }

  /** Issues a refresh token for a (live) user session of `clientId`. */
  issueRefreshToken(clientId: string, sessionId = randomBytes(8).toString('hex')): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { clientId, sessionId });
    this.liveSessions.add(sessionId);
    return token;
  }

  /** Whether the user session behind a refresh token is still live. */
  isSessionLive(refreshToken: string): boolean {
    const entry = this.tokens.get(refreshToken);
    return entry !== undefined && this.liveSessions.has(entry.sessionId);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const status = this.answer(request, form, response);
    this.requests.push({ authorization: request.headers.authorization, form: Object.fromEntries(form), status });
  }

  private answer(request: IncomingMessage, form: URLSearchParams, response: ServerResponse): number {
    if (this.failNextWith !== undefined) {
      const status = this.failNextWith;
      this.failNextWith = undefined;
      return send(response, status, { error: 'unknown_error' });
    }
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return send(response, 400, { error: 'invalid_request', error_description: 'No refresh token' });
    const { client, refusal } = this.authenticate(request, form);
    if (refusal) return send(response, refusal[0], { error: refusal[1], error_description: refusal[2] });
    const entry = this.tokens.get(refreshToken);
    if (!entry) return send(response, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
    if (entry.clientId !== client.clientId) {
      return send(response, 400, { error: 'invalid_grant', error_description: "Invalid refresh token. Token client and authorized client don't match" });
    }
    this.liveSessions.delete(entry.sessionId);
    return send(response, 204);
  }

  /** Keycloak's client authenticators: Basic (URL-decoded parts) or client_id/client_secret in the form. */
  private authenticate(request: IncomingMessage, form: URLSearchParams): { client: RealmClient; refusal?: undefined } | { client?: undefined; refusal: Refusal } {
    let clientId: string | undefined;
    let secret: string | undefined;
    const basic = /^Basic (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } else {
      clientId = form.get('client_id') ?? undefined;
      secret = form.get('client_secret') ?? undefined;
    }
    if (!clientId) return { refusal: [400, 'invalid_client', 'Missing client_id parameter'] };
    const client = this.clients.get(clientId);
    if (!client) return { refusal: [401, 'unauthorized_client', INVALID_CREDENTIALS] };
    if (client.bearerOnly) return { refusal: [400, 'invalid_client', 'Bearer-only not allowed'] };
    if (client.secret !== undefined && secret !== client.secret) return { refusal: [401, 'unauthorized_client', INVALID_CREDENTIALS] };
    return { client };
  }
}

function send(response: ServerResponse, status: number, body?: Record<string, string>): number {
  response.statusCode = status;
  response.setHeader('cache-control', 'no-store');
  if (body) {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body));
  } else {
    response.end();
  }
  return status;
}
