/**
 * The part of Keycloak's Admin REST API that `nestjs-keycloak-logout doctor` reads, for the
 * embedded Keycloak-like IdP (keycloak-like-op.ts):
 *
 * - `POST /realms/master/protocol/openid-connect/token`: an admin token, by password grant on
 *   the public client `admin-cli`, or by client credentials of a service client;
 * - `GET /admin/realms/{realm}/clients?clientId=…`: `ClientRepresentation`s;
 * - `GET /admin/realms/{realm}`: the `RealmRepresentation`.
 *
 * Field and attribute names are Keycloak's own (docs/keycloak-protocol.md §10). The client
 * representation is derived from how the IdP really treats the client (back-channel URI,
 * session required, post-logout redirect URIs) and can be patched per client, so tests can
 * present misconfigured clients. Patches change what the Admin API reports, not how the IdP
 * behaves. Known difference: admin tokens are opaque strings, not Keycloak's JWTs.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { KeycloakLikeOpClient } from './keycloak-like-op.js';

/** Keycloak's ClientRepresentation, the fields the IdP fills (all of them Keycloak's names). */
export interface AdminClientRepresentation {
  id: string;
  clientId: string;
  enabled: boolean;
  protocol: 'openid-connect';
  publicClient: boolean;
  bearerOnly: boolean;
  secret?: string;
  rootUrl: string;
  baseUrl: string;
  adminUrl: string;
  redirectUris: string[];
  webOrigins: string[];
  standardFlowEnabled: boolean;
  directAccessGrantsEnabled: boolean;
  serviceAccountsEnabled: boolean;
  frontchannelLogout: boolean;
  attributes: Record<string, string>;
}

export interface AdminRealmRepresentation {
  id: string;
  realm: string;
  enabled: boolean;
  defaultSignatureAlgorithm: string;
  accessTokenLifespan: number;
  notBefore: number;
}

/** Top-level fields replaced, `attributes` merged (a `null` attribute removes it). */
export type ClientRepresentationPatch = Partial<Omit<AdminClientRepresentation, 'attributes'>> & {
  attributes?: Record<string, string | null>;
};

export interface AdminRestUser {
  username: string;
  password: string;
  /** Has realm-management's view-clients and view-realm; default true. False answers 403. */
  canView?: boolean;
}

export interface AdminRestServiceClient {
  clientId: string;
  clientSecret: string;
  canView?: boolean;
}

export interface AdminRestOptions {
  /** Master-realm admins for the password grant on admin-cli. Default admin / admin. */
  users?: AdminRestUser[];
  /** Master-realm clients for the client-credentials grant. Default none. */
  serviceClients?: AdminRestServiceClient[];
  /** Patches of client representations by clientId, applied from the start. */
  clients?: Record<string, ClientRepresentationPatch>;
  /** Patch of the realm representation. */
  realm?: Partial<AdminRealmRepresentation>;
}

export interface AdminRest {
  /** Answers the request if it is one of the Admin REST paths; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** Patches a client's representation (replacing an earlier patch of that client). */
  setClientRepresentation(clientId: string, patch: ClientRepresentationPatch): void;
  setRealmRepresentation(patch: Partial<AdminRealmRepresentation>): void;
  /** Back to the representations derived from the IdP's clients. */
  resetRepresentations(): void;
  /** The representation the Admin API reports now. */
  clientRepresentation(clientId: string): AdminClientRepresentation | undefined;
}

const ADMIN_REALM = 'master';
const TOKEN_PATH = `/realms/${ADMIN_REALM}/protocol/openid-connect/token`;
const ADMIN_TOKEN_TTL_SECONDS = 60;
const DEFAULT_USERS: AdminRestUser[] = [{ username: 'admin', password: 'admin' }];

export function createAdminRest(deps: { realm: string; clients: () => KeycloakLikeOpClient[]; options?: AdminRestOptions }): AdminRest {
  if (deps.realm === ADMIN_REALM) throw new Error('the embedded IdP serves the admin API from realm master; give the IdP another realm');
  const users = deps.options?.users ?? DEFAULT_USERS;
  const serviceClients = deps.options?.serviceClients ?? [];
  let clientPatches = new Map(Object.entries(deps.options?.clients ?? {}));
  let realmPatch: Partial<AdminRealmRepresentation> = deps.options?.realm ?? {};
  const tokens = new Map<string, { expiresAt: number; canView: boolean }>();

  function clientRepresentation(clientId: string): AdminClientRepresentation | undefined {
    const client = deps.clients().find((candidate) => candidate.clientId === clientId);
    return client ? patched(derivedRepresentation(client), clientPatches.get(clientId)) : undefined;
  }

  function realmRepresentation(): AdminRealmRepresentation {
    return {
      id: deps.realm,
      realm: deps.realm,
      enabled: true,
      defaultSignatureAlgorithm: 'RS256',
      accessTokenLifespan: 300,
      notBefore: 0,
      ...realmPatch,
    };
  }

  async function issueToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return json(res, 405, { error: 'HTTP 405 Method Not Allowed' });
    const form = new URLSearchParams(await readBody(req));
    const grantType = form.get('grant_type');
    let canView: boolean;
    if (grantType === 'password') {
      if (form.get('client_id') !== 'admin-cli') return json(res, 401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
      const user = users.find((candidate) => candidate.username === form.get('username'));
      if (!user || user.password !== form.get('password')) return json(res, 401, { error: 'invalid_grant', error_description: 'Invalid user credentials' });
      canView = user.canView ?? true;
    } else if (grantType === 'client_credentials') {
      const client = serviceClients.find((candidate) => candidate.clientId === form.get('client_id'));
      if (!client || client.clientSecret !== form.get('client_secret')) {
        return json(res, 401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });
      }
      canView = client.canView ?? true;
    } else {
      return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' });
    }
    const token = randomBytes(32).toString('base64url');
    tokens.set(token, { expiresAt: Date.now() + ADMIN_TOKEN_TTL_SECONDS * 1000, canView });
    json(res, 200, { access_token: token, expires_in: ADMIN_TOKEN_TTL_SECONDS, token_type: 'Bearer', 'not-before-policy': 0, scope: 'profile email' });
  }

  function adminResource(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const grant = bearer ? tokens.get(bearer) : undefined;
    if (!grant || grant.expiresAt < Date.now()) return json(res, 401, { error: 'HTTP 401 Unauthorized' });
    const match = /^\/admin\/realms\/([^/]+)(\/clients)?\/?$/.exec(url.pathname);
    if (!match) return json(res, 404, { error: 'HTTP 404 Not Found' });
    if (decodeURIComponent(match[1]!) !== deps.realm) return json(res, 404, { error: 'Realm not found.' });
    if (req.method !== 'GET') return json(res, 405, { error: 'HTTP 405 Method Not Allowed' });
    if (!grant.canView) return json(res, 403, { error: 'HTTP 403 Forbidden' });
    if (!match[2]) return json(res, 200, realmRepresentation());
    // Keycloak's `clientId` query parameter is an exact match unless `search=true`.
    const wanted = url.searchParams.get('clientId');
    const all = deps.clients().map((client) => clientRepresentation(client.clientId)!);
    json(res, 200, wanted === null ? all : all.filter((client) => client.clientId === wanted));
  }

  return {
    async handle(req, res, url) {
      if (url.pathname === TOKEN_PATH) {
        await issueToken(req, res);
        return true;
      }
      if (url.pathname.startsWith('/admin/')) {
        adminResource(req, res, url);
        return true;
      }
      return false;
    },
    setClientRepresentation: (clientId, patch) => void clientPatches.set(clientId, patch),
    setRealmRepresentation: (patch) => void (realmPatch = patch),
    resetRepresentations: () => {
      clientPatches = new Map();
      realmPatch = {};
    },
    clientRepresentation,
  };
}

/** What Keycloak would report for a client set up the way the IdP treats it. */
function derivedRepresentation(client: KeycloakLikeOpClient): AdminClientRepresentation {
  const attributes: Record<string, string> = {
    'backchannel.logout.session.required': String(client.backchannelLogoutSessionRequired ?? true),
    'backchannel.logout.revoke.offline.tokens': 'false',
    // "##"-separated; "-" means none, which is how the IdP treats a client without any.
    'post.logout.redirect.uris': (client.postLogoutRedirectUris ?? []).join('##') || '-',
    'pkce.code.challenge.method': 'S256',
  };
  if (client.backchannelLogoutUri !== undefined) attributes['backchannel.logout.url'] = client.backchannelLogoutUri;
  return {
    id: uuidFor(client.clientId),
    clientId: client.clientId,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: client.clientSecret === undefined,
    bearerOnly: false,
    ...(client.clientSecret !== undefined ? { secret: client.clientSecret } : {}),
    rootUrl: '',
    baseUrl: '',
    adminUrl: '',
    redirectUris: client.redirectUris,
    webOrigins: [],
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    frontchannelLogout: false,
    attributes,
  };
}

function patched(base: AdminClientRepresentation, patch: ClientRepresentationPatch | undefined): AdminClientRepresentation {
  if (!patch) return base;
  const { attributes: attributePatch, ...fields } = patch;
  const attributes = { ...base.attributes };
  for (const [key, value] of Object.entries(attributePatch ?? {})) {
    if (value === null) delete attributes[key];
    else attributes[key] = value;
  }
  return { ...base, ...fields, attributes };
}

/** A stable UUID-shaped internal id, as Keycloak gives every client. */
function uuidFor(clientId: string): string {
  const hex = createHash('sha256').update(clientId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
