import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { carrierOf } from '../contexts/credential-carrier.js';
import { credentialOf } from '../contexts/request-credentials.js';

/** The login record of a call that passed `KeycloakSessionGuard`, in any context that has a session. */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext) => credentialOf(carrierOf(context), 'keycloakSession'));
