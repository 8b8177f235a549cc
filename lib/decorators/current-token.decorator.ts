import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestWithAccessToken } from '../guards/keycloak-bearer.guard.js';

/** The verified access-token claims of a request that passed `KeycloakBearerGuard`. */
export const CurrentToken = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<RequestWithAccessToken>().accessTokenClaims,
);
