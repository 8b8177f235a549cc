import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestWithSession } from '../guards/keycloak-session.guard.js';

/** The login record of a request that passed `KeycloakSessionGuard`. */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<RequestWithSession>().keycloakSession,
);
