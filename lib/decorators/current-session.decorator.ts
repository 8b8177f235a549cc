import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { carrierOf } from '../contexts/credential-carrier.js';

/** The login record of a call that passed `KeycloakSessionGuard`, in any context that has a session. */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext) => carrierOf(context).keycloakSession);
