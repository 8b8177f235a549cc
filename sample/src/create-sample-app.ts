import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import session from 'express-session';
import { SampleAppModule } from './sample-app.module.js';
import type { SampleConfig } from './sample-config.js';

/** Idle lifetime of a sample session: 8 h, inside the library's 10 h revocation horizon. */
const SESSION_MAX_AGE_MS = 8 * 3_600_000;

/** Builds and starts one instance of the sample app. */
export async function startSampleApp(config: SampleConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(SampleAppModule.forConfig(config), {
    logger: ['log', 'warn', 'error'],
  });
  app.use(
    session({
      // Apps of one host share cookies across ports: one cookie name per client.
      name: `${config.clientId}.sid`,
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      // Within the library's maxSessionAge (= revocationTtl, 10 h by default): the cookie's max age is
      // also how long express-session's store keeps an idle session.
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.publicUrl.startsWith('https:'), maxAge: SESSION_MAX_AGE_MS },
    }),
  );
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  return app;
}
