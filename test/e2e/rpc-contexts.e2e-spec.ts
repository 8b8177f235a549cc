import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Module, UseGuards, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { ClientProxyFactory, MessagePattern, NatsRecordBuilder, Transport, type ClientOptions, type ClientProxy, type NatsOptions, type TcpOptions } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentToken, KeycloakBearerGuard, KeycloakLogoutModule, KeycloakSessionGuard, Public, RefusalLog, RevocationService, type AccessTokenClaims } from '../../lib/index.js';
import { FakeRealm } from '../support/fake-realm.js';
import { freePort } from '../support/free-port.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { checkNatsForSuite, NATS_URL } from '../support/nats-server.js';

/*
 * Microservice handlers behind the guards, over a real NATS server (127.0.0.1:4222) and a real
 * TCP transport, called through Nest's ClientProxy. Patterns are unique per run: the NATS
 * server is shared.
 */
const CLIENT = 'app-rpc';
const RUN = randomUUID();
const pattern = (name: string) => `${RUN}.${name}`;

@Controller()
@UseGuards(KeycloakBearerGuard)
class RpcController {
  @MessagePattern(pattern('whoami'))
  whoami(@CurrentToken() token: AccessTokenClaims) {
    return { sub: token.sub, sid: token.sid };
  }

  @MessagePattern(pattern('open'))
  @Public()
  open() {
    return 'open';
  }
}

@Controller()
class RpcSessionController {
  @MessagePattern(pattern('page'))
  @UseGuards(KeycloakSessionGuard)
  page() {
    return 'page';
  }
}

type TransportName = 'nats' | 'tcp';
const TRANSPORTS: TransportName[] = (await checkNatsForSuite('NATS microservice tests')) ? ['nats', 'tcp'] : ['tcp'];

describe.each<TransportName>(TRANSPORTS)('microservice handlers (%s)', (transport) => {
  let realm: FakeRealm;
  let service: INestMicroservice;
  let client: ClientProxy;
  /** TCP has no headers: the token goes into the packet metadata through the client's dispatch hook. */
  let tcpAuthorization: string | undefined;
  let sidCounter = 0;
  const newSid = () => `rpc-${transport}-${++sidCounter}`;

  function send(name: string, authorization?: string): Promise<unknown> {
    if (transport === 'tcp') {
      tcpAuthorization = authorization;
      return firstValueFrom(client.send(pattern(name), { at: Date.now() }));
    }
    const record = new NatsRecordBuilder({ at: Date.now() });
    if (authorization !== undefined) {
      const headers = natsHeaders();
      headers.set('authorization', authorization);
      record.setHeaders(headers);
    }
    return firstValueFrom(client.send(pattern(name), record.build()));
  }

  async function refusal(name: string, authorization?: string): Promise<Record<string, unknown>> {
    try {
      await send(name, authorization);
    } catch (error) {
      return error as Record<string, unknown>;
    }
    throw new Error('expected a refusal');
  }

  beforeAll(async () => {
    realm = await FakeRealm.start();
    const port = await freePort();
    const options: NatsOptions | TcpOptions =
      transport === 'nats' ? { transport: Transport.NATS, options: { servers: [NATS_URL] } } : { transport: Transport.TCP, options: { host: '127.0.0.1', port } };

    @Module({ imports: [KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT })], controllers: [RpcController, RpcSessionController] })
    class RpcAppModule {}

    service = await NestFactory.createMicroservice(RpcAppModule, { ...options, logger: false });
    await service.listen();
    client = ClientProxyFactory.create(options as ClientOptions);
    if (transport === 'tcp') {
      client.setOnDispatchHook((packet) => {
        if (tcpAuthorization !== undefined) packet.metadata = { authorization: tcpAuthorization };
      });
    }
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await service?.close();
    await realm?.close();
  });

  it(`a valid token in the message's ${transport === 'nats' ? 'headers' : 'metadata'}: the handler gets its claims (${transport})`, async () => {
    const sid = newSid();
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', sid });
    expect(await send('whoami', `Bearer ${token}`)).toEqual({ sub: 'alice', sid });
  });

  it(`a revoked token: an RpcException with code UNAUTHENTICATED (${transport})`, async () => {
    const sid = newSid();
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'bob', sid });
    expect(await send('whoami', `Bearer ${token}`)).toEqual({ sub: 'bob', sid });
    await service.get(RevocationService).revokeSid(sid);
    const refused = await refusal('whoami', `Bearer ${token}`);
    expect(refused).toMatchObject({ status: 'error', code: 'UNAUTHENTICATED', statusCode: 401, error: 'invalid_token' });
    expect(refused.message).toMatch(/revoked \(sid\)/);
    expect(service.get(RefusalLog).countsByContext()['bearer-guard:revoked_sid']?.rpc).toBeGreaterThanOrEqual(1);
  });

  it(`no token: UNAUTHENTICATED; the @Public() handler still answers (${transport})`, async () => {
    expect(await refusal('whoami')).toMatchObject({ code: 'UNAUTHENTICATED', error: 'invalid_request' });
    expect(await send('open')).toBe('open');
  });

  it(`the session guard refuses: a message has no session (${transport})`, async () => {
    expect(await refusal('page')).toMatchObject({ code: 'UNAUTHENTICATED', error: 'login_required' });
  });
});
