import { HttpException } from '@nestjs/common';
import type { ErrorBody } from '../http/error-answers.js';

/** Refusals of calls that brought no credentials at all: routine, so logged at debug level. */
const QUIET_REASONS = new Set(['missing_token', 'no_session']);

/**
 * A guard's refusal as its HTTP answer (status and JSON body), with the stable reason code it is
 * logged and counted under. Other contexts derive their native form from it (native-refusal.ts).
 */
export class GuardRefusal extends HttpException {
  /** Why, for the server's log (never a token); by default what the caller is told. */
  detail: string;

  constructor(
    status: number,
    error: string,
    description: string,
    /** Stable reason code for the refusal log, e.g. `missing_token`, `revoked_sid`. */
    readonly reason: string = error,
    /** The `WWW-Authenticate` challenge of an HTTP answer (RFC 6750 §3). */
    readonly wwwAuthenticate?: string,
  ) {
    super({ error, error_description: description } satisfies ErrorBody, status);
    this.detail = description;
  }

  get quiet(): boolean {
    return QUIET_REASONS.has(this.reason);
  }

  get body(): ErrorBody {
    return this.getResponse() as ErrorBody;
  }

  /** What a live connection ended by a logout is told. */
  static loggedOut(): GuardRefusal {
    return new GuardRefusal(401, 'invalid_token', 'the session of this connection has been logged out', 'logged_out');
  }
}
