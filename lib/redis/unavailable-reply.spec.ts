import { ErrorReply } from 'redis';
import { describe, expect, it } from 'vitest';
import { isUnavailableReply } from './unavailable-reply.js';

describe('isUnavailableReply', () => {
  it.each([
    'CLUSTERDOWN The cluster is down',
    'CLUSTERDOWN Hash slot not served',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
    'LOADING Redis is loading the dataset in memory',
    'TRYAGAIN Multiple keys request during rehashing of slot',
  ])('a "not now" reply: %s', (message) => {
    expect(isUnavailableReply(new ErrorReply(message))).toBe(true);
  });

  it.each([
    'WRONGTYPE Operation against a key holding the wrong kind of value',
    'ERR syntax error',
    'NOPERM this user has no permissions to run the command',
    'CROSSSLOT Keys in request don\'t hash to the same slot',
    'ERR CLUSTERDOWN in the middle of a message',
  ])('a reply that retrying cannot fix: %s', (message) => {
    expect(isUnavailableReply(new ErrorReply(message))).toBe(false);
  });

  it('a connection error is not a reply', () => {
    expect(isUnavailableReply(new Error('CLUSTERDOWN'))).toBe(false);
    expect(isUnavailableReply(undefined)).toBe(false);
  });
});
