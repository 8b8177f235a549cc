/**
 * A Nest app with real express-session (MemoryStore) for the login-flow tests. Its HTTP server
 * listens before the module is built, because the module's `publicUrl` (and the redirect URIs
 * registered at the test OP) contain the port.
 */
import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import session from 'express-session';
import { KeycloakLogoutModule, type KeycloakLogoutModuleOptions } from '../../lib/index.js';
import type { HttpAgent } from '../support/http-client.js';
import { TestApiController } from '../support/test-app.js';

export const SESSION_COOKIE = 'app.sid';

export interface SessionApp {
  app: INestApplication;
  url: string;
  store: session.MemoryStore;
  /** The session id behind the browser's session cookie (express-session's `s:<id>.<signature>`). */
  sessionIdOf(agent: HttpAgent): string | undefined;
  /** The stored session, or undefined when the store no longer has it. */
  storedSession(id: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

export function sessionIdFromCookie(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const decoded = decodeURIComponent(value);
  if (!decoded.startsWith('s:')) return undefined;
  return decoded.slice(2, decoded.lastIndexOf('.'));
}

export async function startSessionApp(options: (url: string) => KeycloakLogoutModuleOptions): Promise<SessionApp> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  @Module({ imports: [KeycloakLogoutModule.forRoot(options(url))], controllers: [TestApiController] })
  class SessionAppModule {}

  const app = await NestFactory.create(SessionAppModule, new ExpressAdapter(), { logger: false });
  const store = new session.MemoryStore();
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: 'login-flow-test-secret',
      store,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  await app.init();
  handler = app.getHttpAdapter().getInstance() as typeof handler;

  return {
    app,
    url,
    store,
    sessionIdOf: (agent) => sessionIdFromCookie(agent.cookies(url).get(SESSION_COOKIE)),
    storedSession: (id) =>
      new Promise((resolve, reject) => store.get(id, (error: unknown, data) => (error ? reject(error instanceof Error ? error : new Error('store.get failed')) : resolve((data ?? undefined) as Record<string, unknown> | undefined)))),
    async close() {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
