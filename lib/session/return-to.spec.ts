import { describe, expect, it } from 'vitest';
import { normalizeReturnTo, returnToProblem } from './return-to.js';

describe('returnTo', () => {
  it.each(['/', '/home', '/orders?id=7&x=%2F%2Fevil', '/a/b#frag', '/path/../other', '/%5Cevil'])('accepts the same-origin path %j', (value) => {
    expect(returnToProblem(value)).toBeUndefined();
  });

  it.each([
    ['//evil.example', /another host/],
    ['///evil.example', /another host/],
    ['/\\evil.example', /backslash/],
    ['\\/evil.example', /backslash|start/],
    ['https://evil.example/', /path starting with/],
    ['javascript:alert(1)', /path starting with/],
    ['evil.example', /path starting with/],
    ['/.//evil.example', /stay on this site/],
    ['/a\r\nLocation: x', /printable ASCII/],
    ['/a\u0000', /printable ASCII/],
    ['/a b', /printable ASCII/],
    ['/ünïcode', /printable ASCII/],
    ['', /non-empty/],
    [`/${'a'.repeat(2_048)}`, /at most/],
  ])('refuses %j', (value, reason) => {
    expect(returnToProblem(value)).toMatch(reason);
  });

  it('refuses non-strings (a repeated or nested query parameter)', () => {
    expect(returnToProblem(['/a', '/b'])).toMatch(/string/);
    expect(returnToProblem({ a: 1 })).toMatch(/string/);
  });

  it('normalizes dot segments, keeping query and fragment', () => {
    expect(normalizeReturnTo('/a/./b/../c?x=1#y')).toBe('/a/c?x=1#y');
  });
});
