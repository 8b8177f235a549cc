import type { ResolvedDoctorOptions } from './doctor-options.js';
import type { ClientRepresentation, RealmRepresentation } from './keycloak-representations.js';

/** What every client-configuration check reads. */
export interface ClientCheckInput {
  options: ResolvedDoctorOptions;
  client: ClientRepresentation;
  /** Absent when the realm could not be read. */
  realm?: RealmRepresentation;
}
