import { describe, expect, it } from 'vitest';
import { parseLivePage } from './live-log-page.js';

describe('the catch-up script reply', () => {
  it('reads a page: last id read, entries read, the live ones with their batches (null: no r field)', () => {
    expect(parseLivePage(['7-0', 3, ['5-0', '7-0'], ['[]', null]])).toEqual({ lastId: '7-0', read: 3, ids: ['5-0', '7-0'], batches: ['[]', null] });
  });

  it('reads an empty page (the end of the log) and a page of expired entries only', () => {
    expect(parseLivePage(['', 0, [], []])).toEqual({ lastId: undefined, read: 0, ids: [], batches: [] });
    expect(parseLivePage(['9-1', 1000, [], []])).toEqual({ lastId: '9-1', read: 1000, ids: [], batches: [] });
  });

  it.each<[string, unknown]>([
    ['not an array', 'OK'],
    ['null', null],
    ['too short', ['7-0', 1, ['7-0']]],
    ['too long', ['7-0', 1, ['7-0'], ['[]'], 'more']],
    ['a last id that is not a string', [7, 1, ['7-0'], ['[]']]],
    ['a count that is not an integer', ['7-0', '1', ['7-0'], ['[]']]],
    ['a negative count', ['7-0', -1, [], []]],
    ['a fractional count', ['7-0', 1.5, [], []]],
    ['ids that are not an array', ['7-0', 1, '7-0', ['[]']]],
    ['batches that are not an array', ['7-0', 1, ['7-0'], '[]']],
    ['more ids than batches', ['7-0', 2, ['6-0', '7-0'], ['[]']]],
    ['more live entries than entries read', ['7-0', 1, ['6-0', '7-0'], ['[]', '[]']]],
    ['an id that is not a string', ['7-0', 1, [7], ['[]']]],
    ['a batch that is neither a string nor null', ['7-0', 1, ['7-0'], [1]]],
    ['entries read without a last id', ['', 1, [], []]],
    ['a last id without entries read', ['7-0', 0, [], []]],
  ])('refuses %s (the reader then catches up with XREAD)', (_, reply) => {
    expect(parseLivePage(reply)).toBeUndefined();
  });
});
