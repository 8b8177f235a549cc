import 'reflect-metadata';
import { ConsoleLogger, type ConsoleLoggerOptions, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import session from 'express-session';
import { SampleAppModule } from './sample-app.module.js';
import type { SampleConfig } from './sample-config.js';

/** Idle lifetime of a sample session: 8 h, inside the library's 10 h revocation horizon. */
const SESSION_MAX_AGE_MS = 8 * 3_600_000;

/**
 * A Nest logger whose lines start with `[label]`, so the apps and the IdP of `npm start`, which
 * share one terminal, can be told apart. Colours only on a terminal.
 */
export function labelledLogger(label: string, context?: string): ConsoleLogger {
  const options: ConsoleLoggerOptions = { prefix: label, logLevels: ['log', 'warn', 'error'], colors: process.stdout.isTTY === true };
  return context === undefined ? new ConsoleLogger(options) : new ConsoleLogger(context, options);
}

/**
 * Builds and starts one instance of the sample app; its log lines are labelled with its name.
 * A port already in use rejects with the listen error (code `EADDRINUSE`), the app closed.
 */
export async function startSampleApp(config: SampleConfig, logger: LoggerService = labelledLogger(config.appName)): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(SampleAppModule.forConfig(config), { logger });
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
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
