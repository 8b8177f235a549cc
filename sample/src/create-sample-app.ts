import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import session from 'express-session';
import { SampleAppModule } from './sample-app.module.js';
import type { SampleConfig } from './sample-config.js';

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
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.publicUrl.startsWith('https:') },
    }),
  );
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  return app;
}
