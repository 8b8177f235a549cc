import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { Controller, Get, Module, Req, UseGuards, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import session from 'express-session';
import { io, type Socket as IoClientSocket } from 'socket.io-client';
import WebSocket from 'ws';
import {
  CurrentSession,
  CurrentToken,
  KeepOpenAtLogout,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  Public,
  type AccessTokenClaims,
  type KeycloakSessionData,
} from '../../lib/index.js';

export type WsAdapterName = 'socket.io' | 'ws';
export const WS_ADAPTERS: WsAdapterName[] = ['socket.io', 'ws'];

/** The gateways: a namespace for socket.io, a path for ws. */
export type GatewayName = 'bearer' | 'kept' | 'session' | 'kept-session' | 'open';

export type SessionMiddleware = ReturnType<typeof session>;

/** Runs the app's session middleware on a WebSocket upgrade request (the `ws` adapter has no middleware of its own). */
export function applySession(middleware: SessionMiddleware, request: IncomingMessage): Promise<void> {
  return new Promise((resolve) => middleware(request as any, {} as any, () => resolve()));
}

/** The test gateways for one adapter (an app uses one adapter for all its gateways). */
export function websocketGateways(adapter: WsAdapterName, sessionMiddleware: SessionMiddleware): Array<new (...args: any[]) => object> {
  const at = (name: GatewayName) => (adapter === 'ws' ? { path: `/${name}` } : { namespace: name });

  @WebSocketGateway(at('bearer'))
  class BearerGateway implements OnGatewayConnection {
    constructor(private readonly bearer: KeycloakBearerGuard) {}
    handleConnection(client: object, request?: IncomingMessage) {
      return this.bearer.admitConnection(this, client, request);
    }
    @UseGuards(KeycloakBearerGuard)
    @SubscribeMessage('whoami')
    whoami(@CurrentToken() token: AccessTokenClaims) {
      return { event: 'whoami', data: { sub: token.sub, sid: token.sid } };
    }
  }

  // The same gateway, whose connections a logout leaves open.
  @WebSocketGateway(at('kept'))
  @KeepOpenAtLogout()
  class KeptGateway extends BearerGateway {}

  @WebSocketGateway(at('session'))
  class SessionGateway implements OnGatewayConnection {
    constructor(private readonly sessions: KeycloakSessionGuard) {}
    async handleConnection(client: object, request?: IncomingMessage) {
      // socket.io runs the session middleware through io.engine.use (see afterInit below); ws has no middleware.
      if (adapter === 'ws' && request !== undefined) await applySession(sessionMiddleware, request);
      return this.sessions.admitConnection(this, client, request);
    }
    afterInit(server: { server?: { engine?: { use(middleware: unknown): void } } }) {
      server.server?.engine?.use(sessionMiddleware);
    }
    @UseGuards(KeycloakSessionGuard)
    @SubscribeMessage('whoami')
    whoami(@CurrentSession() login: KeycloakSessionData) {
      return { event: 'whoami', data: { sub: login.sub, sid: login.sid } };
    }
  }

  // The session gateway, whose connections a logout leaves open (its messages are still checked).
  @WebSocketGateway(at('kept-session'))
  @KeepOpenAtLogout()
  class KeptSessionGateway extends SessionGateway {}

  // The same gateway, open to anyone: @Public() lets every message through the guard.
  @WebSocketGateway(at('open'))
  @Public()
  @UseGuards(KeycloakBearerGuard)
  class OpenGateway extends BearerGateway {
    @SubscribeMessage('ping')
    ping() {
      return { event: 'pong', data: 'pong' };
    }
  }

  return [BearerGateway, KeptGateway, SessionGateway, KeptSessionGateway, OpenGateway];
}

/** Signs a test user in: the login record the library's login route would store, in a real express-session. */
@Controller('test')
export class TestLoginController {
  @Get('login')
  @Public()
  login(@Req() request: { session: Record<string, unknown>; query: Record<string, string> }) {
    request.session.keycloak = { sub: request.query.sub, sid: request.query.sid, issuedAt: Math.floor(Date.now() / 1000) };
    return { ok: true };
  }
}

export interface WebsocketTestApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function startWebsocketApp(adapter: WsAdapterName, logoutModule: DynamicModule): Promise<WebsocketTestApp> {
  const sessionMiddleware = session({ secret: 'websocket-test-secret', resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 } });

  @Module({ imports: [logoutModule], controllers: [TestLoginController], providers: websocketGateways(adapter, sessionMiddleware) })
  class WebsocketAppModule {}

  const app = await NestFactory.create(WebsocketAppModule, new ExpressAdapter(), { logger: false });
  app.use(sessionMiddleware);
  app.useWebSocketAdapter(adapter === 'ws' ? new WsAdapter(app) : new IoAdapter(app));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

/** A session cookie of a signed-in test user. */
export async function signIn(url: string, sub: string, sid: string): Promise<string> {
  const response = await fetch(`${url}/test/login?${new URLSearchParams({ sub, sid }).toString()}`);
  const cookie = response.headers.get('set-cookie');
  if (cookie === null) throw new Error('no session cookie');
  return cookie.split(';')[0]!;
}

/** How a test connects: socket.io `auth`, headers, subprotocols, a URL query. */
export interface ConnectOptions {
  token?: string;
  headers?: Record<string, string>;
  protocols?: string[];
  query?: Record<string, string>;
}

/** A connected test client of either adapter, recording what it receives and how it closed. */
export interface TestSocket {
  events: Array<{ event: string; data: unknown }>;
  closed: Promise<{ code?: number; reason: string }>;
  isClosed(): boolean;
  send(event: string, data?: unknown): void;
  next(event: string, timeoutMs?: number): Promise<unknown>;
  close(): void;
}

export function connect(adapter: WsAdapterName, url: string, gateway: GatewayName, options: ConnectOptions = {}): TestSocket {
  const events: TestSocket['events'] = [];
  const taken = new Set<number>();
  let closed = false;
  let resolveClosed!: (value: { code?: number; reason: string }) => void;
  const closedPromise = new Promise<{ code?: number; reason: string }>((resolve) => {
    resolveClosed = (value) => {
      closed = true;
      resolve(value);
    };
  });
  let send: (event: string, data?: unknown) => void;
  let close: () => void;
  if (adapter === 'ws') {
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
    const headers = { ...options.headers, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/${gateway}${query}`, options.protocols ?? [], { headers });
    const opened = new Promise<void>((resolve) => socket.once('open', () => resolve()));
    socket.on('message', (raw: Buffer) => {
      const message = JSON.parse(raw.toString()) as { event: string; data: unknown };
      events.push(message);
    });
    socket.on('close', (code, reason) => resolveClosed({ code, reason: reason.toString() }));
    socket.on('error', () => undefined);
    send = (event, data) => void opened.then(() => socket.send(JSON.stringify({ event, data })));
    close = () => socket.close();
  } else {
    const socket: IoClientSocket = io(`${url}/${gateway}`, {
      transports: ['websocket'],
      // One engine.io connection per test socket: its own handshake (headers, cookie).
      forceNew: true,
      reconnection: false,
      auth: options.token ? { token: options.token } : {},
      extraHeaders: options.headers,
      query: options.query,
    });
    socket.onAny((event: string, data: unknown) => events.push({ event, data }));
    socket.on('disconnect', (reason) => resolveClosed({ reason }));
    socket.on('connect_error', (error) => resolveClosed({ reason: error.message }));
    send = (event, data) => void socket.emit(event, data);
    close = () => void socket.disconnect();
  }
  return {
    events,
    closed: closedPromise,
    isClosed: () => closed,
    send,
    /** The first `event` not returned before (arrived already or still to come). */
    async next(event, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex((e, i) => e.event === event && !taken.has(i));
        if (index >= 0) {
          taken.add(index);
          return events[index]!.data;
        }
        if (Date.now() > deadline) throw new Error(`no "${event}" within ${timeoutMs} ms; got ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close,
  };
}
