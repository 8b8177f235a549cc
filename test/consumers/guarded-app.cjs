// A minimal CommonJS Nest app, as a user's would be: one bearer-guarded route, the library's
// back-channel route, options from the environment. Printed on start: {"url": "..."}.
require('reflect-metadata');
const { Controller, Get, Module, Req, UseGuards } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { KeycloakBearerGuard, KeycloakLogoutModule } = require('nestjs-keycloak-logout');

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

(async () => {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  console.log(JSON.stringify({ url: (await app.getUrl()).replace('[::1]', '127.0.0.1') }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
