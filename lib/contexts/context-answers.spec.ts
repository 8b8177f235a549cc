import { describe, expect, it } from 'vitest';
import { contextAnswerFor } from '../http/error-answers.js';
import { headerValue } from './header-bag.js';
import { refusalPayload } from './native-refusal.js';

describe('answers outside HTTP, derived from the HTTP answer', () => {
  it.each([
    [401, 'UNAUTHENTICATED', 4401],
    [403, 'FORBIDDEN', 4403],
    [503, 'SERVICE_UNAVAILABLE', 1013],
    [500, 'INTERNAL_SERVER_ERROR', 1011],
  ])('HTTP %i: code %s, WebSocket close code %i', (status, code, closeCode) => {
    expect(contextAnswerFor(status, { error: 'e', error_description: 'why' })).toEqual({ code, closeCode, status, error: 'e', message: 'why' });
  });

  it('the WebSocket and RPC payload carries the code, the HTTP status and the OAuth error', () => {
    expect(refusalPayload(401, { error: 'invalid_token', error_description: 'access token has been revoked (sid)' })).toEqual({
      status: 'error',
      code: 'UNAUTHENTICATED',
      statusCode: 401,
      error: 'invalid_token',
      message: 'access token has been revoked (sid)',
    });
  });
});

describe('headerValue', () => {
  it('reads a plain header object and graphql-ws connectionParams in any case', () => {
    expect(headerValue({ authorization: 'Bearer a' }, 'authorization')).toBe('Bearer a');
    expect(headerValue({ Authorization: 'Bearer b' }, 'authorization')).toBe('Bearer b');
  });

  it('reads Map-like headers (NATS MsgHdrs get())', () => {
    const headers = new Map([['authorization', 'Bearer c']]);
    expect(headerValue(headers, 'Authorization')).toBe('Bearer c');
  });

  it('ignores repeated (array) values, non-strings and missing headers', () => {
    expect(headerValue({ authorization: ['Bearer a', 'Bearer b'] }, 'authorization')).toBeUndefined();
    expect(headerValue({ authorization: 42 }, 'authorization')).toBeUndefined();
    expect(headerValue(undefined, 'authorization')).toBeUndefined();
  });
});
