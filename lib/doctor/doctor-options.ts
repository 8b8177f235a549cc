import { DEFAULT_OPTIONS } from '../options/default-options.js';

/** Credentials for Keycloak's Admin REST API: an admin user (password grant) or a client (client credentials). */
export type AdminCredentials =
  | { kind: 'password'; username: string; password: string }
  | { kind: 'client'; clientId: string; clientSecret: string };

/** What the doctor checks against: the app's module options as the user configured them. */
export interface DoctorOptions {
  /** The realm's issuer, exactly as in the module's `issuer` option. */
  issuer: string;
  clientId: string;
  /** The app's base URL as seen from where the doctor runs; enables the route checks. */
  appUrl?: string;
  /** The module's `routePrefix`. Default `auth`. */
  routePrefix?: string;
  /** The module's `algorithms`. Default the library's (`RS256`). */
  algorithms?: string[];
  /** The module's `adminAlgorithms`. Default `algorithms`. */
  adminAlgorithms?: string[];
  /** The module's `clockTolerance`, seconds. Default the library's. */
  clockTolerance?: number;
  /** Set when the app turns the Admin URL routes off (`routes.keycloakAdmin: false`). */
  withoutAdminRoutes?: boolean;
  admin?: AdminCredentials;
  /** Realm of the admin credentials. Default `master`. */
  adminRealm?: string;
  /** Per request, milliseconds. Default 5000. */
  timeoutMs?: number;
  /** For tests: the clock, epoch milliseconds. */
  now?: () => number;
}

/** DoctorOptions with every default applied. */
export interface ResolvedDoctorOptions extends Required<Omit<DoctorOptions, 'appUrl' | 'admin'>> {
  appUrl?: string;
  admin?: AdminCredentials;
}

export function resolveDoctorOptions(options: DoctorOptions): ResolvedDoctorOptions {
  const algorithms = options.algorithms ?? [...DEFAULT_OPTIONS.algorithms];
  return {
    ...options,
    issuer: options.issuer,
    clientId: options.clientId,
    routePrefix: trimSlashes(options.routePrefix ?? DEFAULT_OPTIONS.routePrefix),
    algorithms,
    adminAlgorithms: options.adminAlgorithms ?? algorithms,
    clockTolerance: options.clockTolerance ?? DEFAULT_OPTIONS.clockTolerance,
    withoutAdminRoutes: options.withoutAdminRoutes ?? false,
    adminRealm: options.adminRealm ?? 'master',
    timeoutMs: options.timeoutMs ?? 5_000,
    now: options.now ?? Date.now,
    ...(options.appUrl !== undefined ? { appUrl: options.appUrl.replace(/\/+$/, '') } : {}),
  };
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

/** The app's route URL below the prefix, e.g. `https://app/auth/backchannel-logout`. */
export function appRouteUrl(options: ResolvedDoctorOptions, route: string, base = options.appUrl ?? ''): string {
  return [base.replace(/\/+$/, ''), options.routePrefix, route].filter((part) => part !== '').join('/');
}
