// The same app as guarded-app.cjs, as an ES module.
import 'reflect-metadata';
import { Controller, Get, Module, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KeycloakBearerGuard, KeycloakLogoutModule } from 'nestjs-keycloak-logout';

class ApiController {
  me(request) {
    return { sub: request.accessTokenClaims.sub, sid: request.accessTokenClaims.sid };
  }
}
Req()(ApiController.prototype, 'me', 0);
const me = Object.getOwnPropertyDescriptor(ApiController.prototype, 'me');
UseGuards(KeycloakBearerGuard)(ApiController.prototype, 'me', me);
Get('me')(ApiController.prototype, 'me', me);
Controller('api')(ApiController);

class AppModule {}
Module({
  imports: [KeycloakLogoutModule.forRoot({ issuer: process.env.OIDC_ISSUER, clientId: process.env.OIDC_CLIENT_ID })],
  controllers: [ApiController],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
console.log(JSON.stringify({ url: (await app.getUrl()).replace('[::1]', '127.0.0.1') }));
