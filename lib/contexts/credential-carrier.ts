import type { ExecutionContext } from '@nestjs/common';
import type { AccessTokenClaims } from '../tokens/access-token-claims.interface.js';
import type { KeycloakSessionData } from '../session/keycloak-session-data.interface.js';
import { contextKindOf, type ContextKind } from './context-kind.js';
import { graphqlContextOf } from './graphql-context.js';
import { wsClientOf } from './ws-client.js';

/** What a guard that admitted a call leaves for `@CurrentToken()` and `@CurrentSession()`. */
export interface CredentialCarrier {
  accessTokenClaims?: AccessTokenClaims;
  keycloakSession?: KeycloakSessionData;
}

/**
 * The object that lives as long as what was admitted, per context: the HTTP request; the
 * GraphQL context (one per operation); the WebSocket client (its credentials are the
 * handshake's, the same for every message); the RPC context of the message. Pass `kind` when
 * it is known already.
 */
export function carrierOf(context: ExecutionContext, kind: ContextKind = contextKindOf(context)): CredentialCarrier {
  switch (kind) {
    case 'http':
      // The request is the first argument; `switchToHttp()` would allocate three closures per call.
      return context.getArgByIndex<CredentialCarrier>(0);
    case 'graphql':
      return graphqlContextOf(context);
    case 'ws':
      return wsClientOf<CredentialCarrier>(context);
    case 'rpc': {
      const rpcContext = context.switchToRpc().getContext<CredentialCarrier | undefined>();
      // A transport that passes no context object still gets a place for this call only.
      return typeof rpcContext === 'object' && rpcContext !== null ? rpcContext : {};
    }
  }
}
