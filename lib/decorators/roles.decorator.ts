import { SetMetadata } from '@nestjs/common';
import { toRequirement, type AccessRequirementInput } from '../authorization/access-requirement.js';
import { REQUIRED_ROLES_KEY } from '../keycloak-logout.constants.js';

/**
 * Roles the access token must grant, checked by the bearer and session guards after the token
 * passed (403 when it does not). Any one suffices; `@Roles({ roles: [...], match: 'all' })`
 * needs all. Names as keycloak-connect writes them: `realm:admin` (realm role), `other-app:editor`
 * (a role of another client), `editor` (a role of this app's client).
 */
export const Roles = (...roles: Array<string | AccessRequirementInput>): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_ROLES_KEY, toRequirement('roles', roles));
