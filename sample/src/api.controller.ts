import { Controller, Get, UseGuards } from '@nestjs/common';
import { CurrentToken, KeycloakBearerGuard, Public, type AccessTokenClaims } from 'nestjs-keycloak-logout';

/** The shape both routes answer, so the guard's cost can be measured on the real sample. */
interface WhoAmI {
  sub: string | null;
  sid: string | null;
  client: string | null;
}

@Controller('api')
export class ApiController {
  /** Guarded: a valid access token that no logout has revoked. */
  @Get('me')
  @UseGuards(KeycloakBearerGuard)
  me(@CurrentToken() token: AccessTokenClaims): WhoAmI {
    return { sub: token.sub ?? null, sid: token.sid ?? null, client: token.azp ?? null };
  }

  /** Not guarded: same shape, nobody in particular. */
  @Get('public')
  @Public()
  open(): WhoAmI {
    return { sub: null, sid: null, client: null };
  }
}
