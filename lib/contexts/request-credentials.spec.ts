import { HttpAdapterHost } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { describe, expect, it } from 'vitest';
import type { AccessTokenClaims } from '../tokens/access-token-claims.interface.js';
import type { CredentialCarrier } from './credential-carrier.js';
import { credentialOf, equipExpressRequests, leaveCredential } from './request-credentials.js';

const claims = (sub: string) => ({ sub, sid: `sid-${sub}` }) as unknown as AccessTokenClaims;

function hostOf(adapter: HttpAdapterHost['httpAdapter'] | undefined): HttpAdapterHost {
  const host = new HttpAdapterHost();
  if (adapter !== undefined) host.httpAdapter = adapter;
  return host;
}

/** A request as Express hands it to a route: its prototype swapped for the app's `request`. */
function expressRequest(adapter: ExpressAdapter): CredentialCarrier & { headers: object } {
  return Object.setPrototypeOf({ headers: {} }, adapter.getInstance<{ request: object }>().request) as CredentialCarrier & { headers: object };
}

describe('request credentials', () => {
  it("Express: kept beside the request, read and written through req's own names; requests apart", () => {
    const adapter = new ExpressAdapter();
    const prototype = equipExpressRequests(hostOf(adapter));
    expect(prototype).toBe(adapter.getInstance<{ request: object }>().request);
    const alice = expressRequest(adapter);
    const bob = expressRequest(adapter);

    leaveCredential(alice, 'accessTokenClaims', claims('alice'));
    expect(Object.hasOwn(alice, 'accessTokenClaims')).toBe(false);
    expect(alice.accessTokenClaims?.sub).toBe('alice');
    expect(credentialOf(alice, 'accessTokenClaims')?.sub).toBe('alice');
    expect(bob.accessTokenClaims).toBeUndefined();
    expect(credentialOf(bob, 'keycloakSession')).toBeUndefined();

    // An app's own assignment lands in the same place.
    bob.accessTokenClaims = claims('bob');
    expect(Object.hasOwn(bob, 'accessTokenClaims')).toBe(false);
    expect(credentialOf(bob, 'accessTokenClaims')?.sub).toBe('bob');
    expect(alice.accessTokenClaims?.sub).toBe('alice');
    // Not listed among the request's keys either.
    expect(Object.keys(alice)).toEqual(['headers']);
  });

  it('equipping the same app twice is harmless', () => {
    const adapter = new ExpressAdapter();
    const first = equipExpressRequests(hostOf(adapter));
    expect(equipExpressRequests(hostOf(adapter))).toBe(first);
    const request = expressRequest(adapter);
    leaveCredential(request, 'keycloakSession', { sub: 'carol', sid: 'kc-carol', issuedAt: 1 });
    expect(request.keycloakSession?.sub).toBe('carol');
  });

  it('an Express app whose requests define the names already is left alone: the value goes on the request', () => {
    const adapter = new ExpressAdapter();
    const prototype = adapter.getInstance<{ request: object }>().request;
    Object.defineProperty(prototype, 'keycloakSession', { value: 'theirs', writable: true, configurable: true });
    expect(equipExpressRequests(hostOf(adapter))).toBeNull();
    const request = expressRequest(adapter);
    leaveCredential(request, 'accessTokenClaims', claims('dan'));
    expect(Object.hasOwn(request, 'accessTokenClaims')).toBe(true);
    expect(credentialOf(request, 'accessTokenClaims')?.sub).toBe('dan');
    expect((prototype as { keycloakSession: unknown }).keycloakSession).toBe('theirs');
  });

  it('Fastify, no HTTP adapter, or a carrier of another kind: the value goes on the carrier', () => {
    expect(equipExpressRequests(hostOf(new FastifyAdapter()))).toBeNull();
    expect(equipExpressRequests(hostOf(undefined))).toBeNull();
    expect(equipExpressRequests(undefined)).toBeNull();
    // What a host holds in an app without an HTTP server, or one set up by hand.
    expect(equipExpressRequests({ httpAdapter: null } as unknown as HttpAdapterHost)).toBeNull();
    expect(equipExpressRequests({ httpAdapter: {} } as unknown as HttpAdapterHost)).toBeNull();
    for (const carrier of [{}, Object.create(null) as object] as CredentialCarrier[]) {
      leaveCredential(carrier, 'accessTokenClaims', claims('erin'));
      expect(Object.hasOwn(carrier, 'accessTokenClaims')).toBe(true);
      expect(credentialOf(carrier, 'accessTokenClaims')?.sub).toBe('erin');
    }
  });
});
