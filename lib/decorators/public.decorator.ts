import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../keycloak-logout.constants.js';

/**
 * Lets a route or controller through the library's guards, e.g. when they are registered
 * globally with `APP_GUARD`. The logout routes themselves are public.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
