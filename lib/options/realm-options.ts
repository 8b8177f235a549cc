import { DEFAULT_OPTIONS } from './default-options.js';
import type { ResolvedRealmOptions } from './keycloak-logout-options.interface.js';
import { fail, httpUrl, isRecord, optionalString, requiredString, type Input } from './option-checks.js';

const REALM_KEYS = ['name', 'issuer', 'clientId', 'clientSecret', 'algorithms', 'adminAlgorithms', 'jwksUri', 'audience'] as const;

/** A realm name is one URL path segment of the realm's routes, so nothing that needs escaping. */
const REALM_NAME = /^[A-Za-z0-9._~-]{1,64}$/;

/** The checks the top-level options already have, reused for each realm under its own option name. */
export interface RealmOptionChecks {
  algorithms(value: unknown, option: string, fallback: readonly string[]): string[];
  audience(value: unknown, option: string): string[] | undefined;
}

function realmName(value: unknown, option: string): string {
  const name = requiredString(value, option);
  // `.` and `..` are path segments a URL parser collapses, so they cannot name a route.
  if (!REALM_NAME.test(name) || name === '.' || name === '..') {
    fail(option, `must be a URL path segment of 1 to 64 letters, digits, - . _ ~ (and not "." or ".."), got ${JSON.stringify(name).slice(0, 80)}`);
  }
  return name;
}

function realm(value: unknown, option: string, checks: RealmOptionChecks): ResolvedRealmOptions {
  if (!isRecord(value)) fail(option, 'must be an object { name, issuer, clientId, … }');
  const input: Input = value;
  for (const key of Object.keys(input)) {
    if (!(REALM_KEYS as readonly string[]).includes(key)) fail(`${option}.${key}`, `is not a known realm option (known: ${REALM_KEYS.join(', ')})`);
  }
  const algorithms = checks.algorithms(input.algorithms, `${option}.algorithms`, DEFAULT_OPTIONS.algorithms);
  const jwksUri = optionalString(input.jwksUri, `${option}.jwksUri`);
  return {
    name: realmName(input.name, `${option}.name`),
    issuer: httpUrl(requiredString(input.issuer, `${option}.issuer`), `${option}.issuer`),
    clientId: requiredString(input.clientId, `${option}.clientId`),
    clientSecret: optionalString(input.clientSecret, `${option}.clientSecret`),
    algorithms,
    adminAlgorithms: checks.algorithms(input.adminAlgorithms, `${option}.adminAlgorithms`, algorithms),
    jwksUri: jwksUri === undefined ? undefined : httpUrl(jwksUri, `${option}.jwksUri`),
    audience: checks.audience(input.audience, `${option}.audience`),
  };
}

/**
 * The further realms of `realms`, validated: each a known shape, names usable as path segments
 * and unique, issuers unique among all realms including the primary one (a token's `iss` must
 * choose exactly one realm, and revocations are kept per issuer).
 */
export function realmOptions(value: unknown, primaryIssuer: string, checks: RealmOptionChecks): ResolvedRealmOptions[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail('realms', 'must be an array of { name, issuer, clientId, … }');
  const realms = value.map((entry, index) => realm(entry, `realms[${index}]`, checks));
  const names = new Set<string>();
  const issuers = new Set<string>([primaryIssuer]);
  realms.forEach((entry, index) => {
    if (names.has(entry.name)) fail(`realms[${index}].name`, `${JSON.stringify(entry.name)} is used by another realm; names must be unique`);
    if (issuers.has(entry.issuer)) {
      const other = entry.issuer === primaryIssuer ? 'the primary realm (top-level issuer)' : 'another realm';
      fail(`realms[${index}].issuer`, `${JSON.stringify(entry.issuer)} is already the issuer of ${other}; issuers must be unique`);
    }
    names.add(entry.name);
    issuers.add(entry.issuer);
  });
  return realms;
}
