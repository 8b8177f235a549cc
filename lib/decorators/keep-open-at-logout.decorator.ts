import { SetMetadata } from '@nestjs/common';
import { KEEP_OPEN_AT_LOGOUT_KEY } from '../keycloak-logout.constants.js';

/**
 * Keeps the WebSocket connections and GraphQL subscriptions a gateway, resolver or handler
 * admits open when their session is logged out (they are not registered for closing). Their
 * messages are still refused by the guards once the session is revoked.
 */
export const KeepOpenAtLogout = (): MethodDecorator & ClassDecorator => SetMetadata(KEEP_OPEN_AT_LOGOUT_KEY, true);
