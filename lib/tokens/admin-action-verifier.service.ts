import { Injectable } from '@nestjs/common';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { RealmTokenVerifier } from './realm-token-verifier.js';
import type { AdminAction, AdminActionName } from './admin-action.interface.js';
import { headerTypeAllowed, isIdentifier, isPlainObject } from './token-rules.js';

const MAX_IDS = 10_000;
/** Keycloak signs admin actions with JWSBuilder.type("JWT"). */
const ADMIN_ACTION_HEADER_TYPES: readonly string[] = ['jwt'];

function invalid(message: string): TokenInvalidError {
  return new TokenInvalidError('claims', message);
}

function idList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_IDS) throw invalid(`"${field}" must be an array of at most ${MAX_IDS} ids`);
  for (const id of value) {
    if (!isIdentifier(id)) throw invalid(`"${field}" must contain non-empty strings`);
  }
  return value as string[];
}

function epochSeconds(value: unknown, field: string, required: boolean): number {
  if (value === undefined || value === null) {
    if (required) throw invalid(`"${field}" is missing`);
    return 0;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalid(`"${field}" must be a non-negative integer`);
  return value;
}

/**
 * Verifies a Keycloak admin action the way a careful adapter should, which keycloak-connect
 * does not: realm signature with the pinned algorithms, `action` matching the route,
 * `expiration` not passed (with clock tolerance) and not implausibly far ahead, `resource`
 * equal to this client.
 */
@Injectable()
export class AdminActionVerifierService extends RealmTokenVerifier {
  async verify(token: string, expected: AdminActionName): Promise<AdminAction> {
    const { payload, header } = await this.jws.verifyJws(token, { kind: 'admin action' });
    // Other typed tokens (a logout token, `at+jwt`) are refused outright.
    if (!headerTypeAllowed(header.typ, ADMIN_ACTION_HEADER_TYPES)) throw invalid('admin action "typ" header must be JWT');

    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    } catch {
      throw invalid('admin action payload is not valid JSON');
    }
    if (!isPlainObject(body)) throw invalid('admin action payload must be a JSON object');
    const fields = body;

    if (fields.action !== expected) throw invalid(`admin action ${JSON.stringify(fields.action)?.slice(0, 40)} does not match this route (${expected})`);
    if (fields.resource !== this.options.clientId) throw invalid('admin action "resource" is not this client');
    const expiration = epochSeconds(fields.expiration, 'expiration', true);
    const now = Math.floor(Date.now() / 1000);
    const tolerance = this.options.clockTolerance;
    if (now > expiration + tolerance) throw new TokenInvalidError('expired', 'admin action has expired');
    if (expiration > now + this.options.logoutToken.maxAge + tolerance) throw invalid('admin action "expiration" is implausibly far in the future');
    if (fields.id !== undefined && typeof fields.id !== 'string') throw invalid('admin action "id" must be a string');

    return {
      id: fields.id,
      action: expected,
      expiration,
      resource: fields.resource,
      adapterSessionIds: idList(fields.adapterSessionIds, 'adapterSessionIds'),
      keycloakSessionIds: idList(fields.keycloakSessionIds, 'keycloakSessionIds'),
      notBefore: epochSeconds(fields.notBefore, 'notBefore', expected === 'PUSH_NOT_BEFORE'),
    };
  }
}
