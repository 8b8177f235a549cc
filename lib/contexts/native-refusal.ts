import { HttpException } from '@nestjs/common';
import { contextAnswerFor, type ErrorBody } from '../http/error-answers.js';
import type { ContextKind } from './context-kind.js';

/** The payload of a WebSocket or RPC refusal: what the client receives. */
export interface RefusalPayload {
  status: 'error';
  /** `UNAUTHENTICATED`, `FORBIDDEN`, `SERVICE_UNAVAILABLE` (see ContextAnswer). */
  code: string;
  /** The HTTP status the same refusal gets on an HTTP route. */
  statusCode: number;
  /** The OAuth error code (`invalid_token`, `login_required`, ...). */
  error: string;
  message: string;
}

export function refusalPayload(status: number, body: ErrorBody): RefusalPayload {
  const answer = contextAnswerFor(status, body);
  return { status: 'error', code: answer.code, statusCode: status, error: answer.error, message: answer.message };
}

/**
 * A guard's refusal in the form its context answers natively: the HTTP exception itself, a
 * `GraphQLError` with `extensions.code`, a `WsException` (sent to the client as an `exception`
 * event), an `RpcException` (the caller's observable errors with the payload). The optional
 * packages are imported only here, and only in the context that has them installed.
 */
export async function nativeRefusal(kind: ContextKind, refusal: HttpException): Promise<Error> {
  const status = refusal.getStatus();
  const body = refusal.getResponse() as ErrorBody;
  switch (kind) {
    case 'http':
      return refusal;
    case 'graphql': {
      const { GraphQLError } = await import('graphql');
      const answer = contextAnswerFor(status, body);
      return new GraphQLError(answer.message, { extensions: { code: answer.code, error: answer.error } });
    }
    case 'ws': {
      const { WsException } = await import('@nestjs/websockets');
      return new WsException(refusalPayload(status, body));
    }
    case 'rpc': {
      const { RpcException } = await import('@nestjs/microservices');
      return new RpcException(refusalPayload(status, body));
    }
  }
}
