import { ok, error, warning, type Finding } from './finding.js';
import type { ResolvedDoctorOptions } from './doctor-options.js';

/** Above this, skew is worth a warning even though the tolerance still absorbs it. */
const NOTICEABLE_SKEW_MS = 2_000;

/**
 * This machine's clock against the OP's, from the HTTP `Date` header of the discovery answer
 * (one-second resolution, so half a second is added). Token times (`iat`, `exp`, admin
 * `expiration`) are checked with `clockTolerance` seconds of slack.
 */
export function checkClockSkew(options: ResolvedDoctorOptions, dateHeader: string | null, midpoint: number): Finding {
  const date = dateHeader === null ? Number.NaN : Date.parse(dateHeader);
  if (Number.isNaN(date)) {
    return warning('clock.skew', "the OP's answer has no usable Date header, so clock skew cannot be measured", 'Keep the app and Keycloak hosts synchronised with NTP.');
  }
  const skew = date + 500 - midpoint;
  const seconds = Math.abs(skew / 1000).toFixed(1);
  const direction = skew > 0 ? 'ahead of' : 'behind';
  const tolerance = `the library's clockTolerance is ${options.clockTolerance} s`;
  if (Math.abs(skew) <= NOTICEABLE_SKEW_MS) return ok('clock.skew', `clock skew against the OP about ${seconds} s (${tolerance})`);
  const fix = 'Synchronise both hosts with NTP (chrony, systemd-timesyncd); raising clockTolerance only hides it. Run the doctor on the app host for a meaningful figure.';
  if (Math.abs(skew) <= options.clockTolerance * 1000) {
    return warning('clock.skew', `the OP's clock is ${seconds} s ${direction} this machine's; ${tolerance}, so tokens still pass, barely`, fix);
  }
  return error('clock.skew', `the OP's clock is ${seconds} s ${direction} this machine's, more than ${tolerance}: fresh tokens look issued in the future or expired`, fix);
}
