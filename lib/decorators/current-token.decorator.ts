import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { carrierOf } from '../contexts/credential-carrier.js';
import { credentialOf } from '../contexts/request-credentials.js';

/**
 * The verified access-token claims of a call that passed `KeycloakBearerGuard`, in any context
 * (HTTP request, GraphQL operation, WebSocket message, RPC message).
 */
export const CurrentToken = createParamDecorator((_data: unknown, context: ExecutionContext) => credentialOf(carrierOf(context), 'accessTokenClaims'));
