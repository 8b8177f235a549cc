import { SetMetadata } from '@nestjs/common';
import { toRequirement, type AccessRequirementInput } from '../authorization/access-requirement.js';
import { REQUIRED_SCOPES_KEY } from '../keycloak-logout.constants.js';

/**
 * OAuth scopes the access token's `scope` claim must contain (403 `insufficient_scope` when it
 * does not). Any one suffices; `@Scopes({ scopes: [...], match: 'all' })` needs all.
 */
export const Scopes = (...scopes: Array<string | AccessRequirementInput>): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPES_KEY, toRequirement('scopes', scopes));
