import { HttpException } from '@nestjs/common';
import { ClientAuthenticationError } from '../errors/client-authentication.error.js';
import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { ProviderRejectedError } from '../errors/provider-rejected.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { reasonOf } from '../http/error-answers.js';
import type { LogoutOutcome } from './telemetry-names.js';

/** LogoutFailedError reasons that say the caller was refused, not that the app failed. */
const REFUSED_LOGOUT_FAILURES = new Set(['csrf', 'cross_site']);

/**
 * Whether a logout that threw was refused (the request was wrong: bad token, replay, CSRF) or
 * failed (this side could not carry it out: OP, registry or shared log unreachable, bad
 * configuration), with the same reason code RefusalLog logs (`token_invalid`, ...).
 */
export function logoutFailureOf(error: unknown): { outcome: Extract<LogoutOutcome, 'refused' | 'error'>; reason: string } {
  const reason = reasonOf(error);
  let failed: boolean;
  if (error instanceof LogoutFailedError) failed = !REFUSED_LOGOUT_FAILURES.has(error.reason);
  else if (error instanceof KeycloakLogoutError) {
    failed = error instanceof ProviderUnavailableError || error instanceof ClientAuthenticationError
      || error instanceof ProviderRejectedError || error instanceof KeycloakLogoutConfigError;
  } else if (error instanceof HttpException) failed = error.getStatus() >= 500;
  else failed = true;
  return { outcome: failed ? 'error' : 'refused', reason };
}
