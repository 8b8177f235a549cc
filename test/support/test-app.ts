import 'reflect-metadata';
import { Controller, Get, Module, Req, UseGuards, type DynamicModule, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  CurrentSession,
  CurrentToken,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  Public,
  type AccessTokenClaims,
  type KeycloakSessionData,
  type RequestWithAccessToken,
} from '../../lib/index.js';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

@Controller('api')
export class TestApiController {
  @Get('me')
  @UseGuards(KeycloakBearerGuard)
  me(@CurrentToken() token: AccessTokenClaims) {
    return { sub: token.sub, sid: token.sid, client: token.azp };
  }

  /** Where a handler finds the claims: the decorator, `req.accessTokenClaims`, and whether the request grew for it. */
  @Get('me/request')
  @UseGuards(KeycloakBearerGuard)
  meOnRequest(@CurrentToken() token: AccessTokenClaims, @Req() request: RequestWithAccessToken) {
    return { decorator: token.sub, request: request.accessTokenClaims?.sub, ownProperty: Object.hasOwn(request, 'accessTokenClaims') };
  }

  @Get('page')
  @UseGuards(KeycloakSessionGuard)
  page(@CurrentSession() session: KeycloakSessionData) {
    return { sub: session.sub, sid: session.sid };
  }

  @Get('page/request')
  @UseGuards(KeycloakSessionGuard)
  pageOnRequest(@CurrentSession() session: KeycloakSessionData, @Req() request: { keycloakSession?: KeycloakSessionData }) {
    return { decorator: session.sid, request: request.keycloakSession?.sid, ownProperty: Object.hasOwn(request, 'keycloakSession') };
  }

  @Get('public')
  @Public()
  open() {
    return { ok: true };
  }
}

/**
 * A stand-in for express-session / @fastify/session: the `x-test-session` header names an
 * entry of `sessions`, which becomes `req.session` (with `req.sessionID`). Lets the guard
 * tests control session contents directly; the login-flow tests use the real thing.
 */
export type TestSessions = Map<string, Record<string, unknown>>;

export function attachSession(request: Record<string, any>, sessions: TestSessions, header: unknown): void {
  if (typeof header !== 'string' || !sessions.has(header)) return;
  const data = sessions.get(header)!;
  request.sessionID = header;
  request.session = Object.assign(data, {
    destroy: (callback: (error?: unknown) => void) => {
      sessions.delete(header);
      callback();
    },
  });
}

export interface TestApp {
  app: INestApplication;
  url: string;
  sessions: TestSessions;
  close(): Promise<void>;
}

/** Starts a real HTTP server on a free loopback port with the given module import. */
export async function startTestApp(
  adapter: AdapterName,
  logoutModule: DynamicModule,
  extra: { controllers?: any[]; providers?: any[]; logger?: LoggerService } = {},
): Promise<TestApp> {
  @Module({
    imports: [logoutModule],
    controllers: extra.controllers ?? [TestApiController],
    providers: extra.providers ?? [],
  })
  class TestAppModule {}

  const sessions: TestSessions = new Map();
  const app =
    adapter === 'express'
      ? await NestFactory.create(TestAppModule, new ExpressAdapter(), { logger: extra.logger ?? false })
      : await NestFactory.create(TestAppModule, new FastifyAdapter(), { logger: extra.logger ?? false });
  if (adapter === 'express') {
    app.use((request: any, _response: unknown, next: () => void) => {
      attachSession(request, sessions, request.headers['x-test-session']);
      next();
    });
  } else {
    const fastify = (app.getHttpAdapter() as FastifyAdapter).getInstance();
    fastify.addHook('onRequest', (request: any, _reply: unknown, done: () => void) => {
      attachSession(request, sessions, request.headers['x-test-session']);
      done();
    });
  }
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, sessions, close: () => app.close() };
}

/** POSTs an application/x-www-form-urlencoded body. */
export function postForm(url: string, form: Record<string, string> | string, headers: Record<string, string> = {}): Promise<Response> {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
}

/** A Nest logger that keeps every line, so tests can prove tokens never reach the logs. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, ...rest: unknown[]) {
    this.lines.push([message, ...rest].map(String).join(' '));
  }
  error(message: unknown, ...rest: unknown[]) {
    this.log(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.log(message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.log(message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.log(message, ...rest);
  }
}
