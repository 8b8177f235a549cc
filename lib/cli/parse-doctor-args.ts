import { parseArgs } from 'node:util';
import { SUPPORTED_ALGORITHMS } from '../options/default-options.js';
import type { AdminCredentials, DoctorOptions } from '../doctor/doctor-options.js';

export type ParsedCommand =
  | { kind: 'doctor'; options: DoctorOptions; json: boolean }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

class UsageError extends Error {}

const OPTIONS = {
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'app-url': { type: 'string' },
  'route-prefix': { type: 'string' },
  'without-admin-routes': { type: 'boolean' },
  algorithms: { type: 'string' },
  'admin-algorithms': { type: 'string' },
  'clock-tolerance': { type: 'string' },
  'admin-user': { type: 'string' },
  'admin-password': { type: 'string' },
  'admin-client-id': { type: 'string' },
  'admin-client-secret': { type: 'string' },
  'admin-realm': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `argv` without node and the script; `env` for the password and secret fallbacks. */
export function parseDoctorArgs(argv: string[], env: Record<string, string | undefined>): ParsedCommand {
  try {
    return parse(argv, env);
  } catch (err) {
    // parseArgs throws TypeErrors with codes (ERR_PARSE_ARGS_UNKNOWN_OPTION, ...) for bad input.
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) return { kind: 'usage-error', message: err.message };
    throw err;
  }
}

function parse(argv: string[], env: Record<string, string | undefined>): ParsedCommand {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) return { kind: 'help' };
  if (positionals.length === 0) throw new UsageError('a command is required: doctor');
  if (positionals[0] !== 'doctor') throw new UsageError(`unknown command "${positionals[0]}" (the only command is doctor)`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);

  const issuer = httpUrl(required(values.issuer, '--issuer'), '--issuer');
  const clientId = required(values['client-id'], '--client-id');
  const options: DoctorOptions = { issuer, clientId };
  if (values['app-url'] !== undefined) options.appUrl = httpUrl(values['app-url'], '--app-url');
  if (values['route-prefix'] !== undefined) options.routePrefix = values['route-prefix'];
  if (values['without-admin-routes']) options.withoutAdminRoutes = true;
  if (values.algorithms !== undefined) options.algorithms = algorithmList(values.algorithms, '--algorithms');
  if (values['admin-algorithms'] !== undefined) options.adminAlgorithms = algorithmList(values['admin-algorithms'], '--admin-algorithms');
  if (values['clock-tolerance'] !== undefined) options.clockTolerance = integer(values['clock-tolerance'], '--clock-tolerance', 0, 300);
  if (values.timeout !== undefined) options.timeoutMs = integer(values.timeout, '--timeout', 100, 120_000);
  if (values['admin-realm'] !== undefined) options.adminRealm = values['admin-realm'];
  const admin = adminCredentials(values, env);
  if (admin) options.admin = admin;
  return { kind: 'doctor', options, json: values.json ?? false };
}

function adminCredentials(values: Record<string, string | boolean | undefined>, env: Record<string, string | undefined>): AdminCredentials | undefined {
  const user = values['admin-user'] as string | undefined;
  const clientId = values['admin-client-id'] as string | undefined;
  if (user !== undefined && clientId !== undefined) throw new UsageError('give either --admin-user or --admin-client-id, not both');
  if (user !== undefined) {
    const password = (values['admin-password'] as string | undefined) ?? env.KEYCLOAK_ADMIN_PASSWORD;
    if (!password) throw new UsageError('--admin-user needs --admin-password (or KEYCLOAK_ADMIN_PASSWORD)');
    return { kind: 'password', username: user, password };
  }
  if (clientId !== undefined) {
    const clientSecret = (values['admin-client-secret'] as string | undefined) ?? env.KEYCLOAK_ADMIN_CLIENT_SECRET;
    if (!clientSecret) throw new UsageError('--admin-client-id needs --admin-client-secret (or KEYCLOAK_ADMIN_CLIENT_SECRET)');
    return { kind: 'client', clientId, clientSecret };
  }
  if (values['admin-password'] !== undefined) throw new UsageError('--admin-password needs --admin-user');
  if (values['admin-client-secret'] !== undefined) throw new UsageError('--admin-client-secret needs --admin-client-id');
  return undefined;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${name} is required`);
  return value.trim();
}

function httpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${name} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

function algorithmList(value: string, name: string): string[] {
  const list = value.split(',').map((alg) => alg.trim()).filter((alg) => alg !== '');
  if (list.length === 0) throw new UsageError(`${name} needs at least one algorithm`);
  const unknown = list.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
  if (unknown.length > 0) throw new UsageError(`${name}: ${unknown.join(', ')} not supported (asymmetric only: ${SUPPORTED_ALGORITHMS.join(', ')})`);
  return list;
}

function integer(value: string, name: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return parsed;
}
