import { describe, expect, it } from 'vitest';
import { entriesPage, UnexpectedEntriesReply } from './log-entries-page.js';

const NOW = 1_700_000_000_000;
/** XREAD's reply for one stream, as Redis sends it: entries of `[id, [field, value, ...]]`. */
const reply = (...entries: Array<[string, string[]]>) => [['log', entries]];

describe('an XREAD reply as a page of the log', () => {
  it('counts every entry as read and keeps the live ones with their batches, in log order', () => {
    const page = entriesPage(
      reply(['1-0', ['r', '[1]', 'x', String(NOW + 1)]], ['2-0', ['r', '[2]', 'x', String(NOW)]], ['3-0', ['x', String(NOW - 1), 'r', '[3]']], ['4-0', ['x', String(NOW + 60_000), 'r', '[4]']]),
      NOW,
    );
    expect(page).toEqual({ lastId: '4-0', read: 4, ids: ['1-0', '4-0'], batches: ['[1]', '[4]'] });
  });

  it('keeps an entry without a readable expiry for the client to check, and one without a batch as null', () => {
    const page = entriesPage(reply(['1-0', ['r', '[1]']], ['2-0', ['r', '[2]', 'x', 'nan']], ['3-0', ['x', String(NOW + 1), 'payload', 'not ours']]), NOW);
    expect(page).toEqual({ lastId: '3-0', read: 3, ids: ['1-0', '2-0', '3-0'], batches: ['[1]', '[2]', null] });
  });

  it('reads the last of a field given twice, and past fields it does not know', () => {
    const page = entriesPage(reply(['1-0', ['x', String(NOW - 1), 'r', '[1]', 'x', String(NOW + 1)]], ['2-0', ['r', '[2]', 'x', String(NOW + 1), 'x', String(NOW - 1)]], ['3-0', ['v', '2', 'r', '[3]', 'x', String(NOW + 1), 'extra', '{}']]), NOW);
    expect(page).toEqual({ lastId: '3-0', read: 3, ids: ['1-0', '3-0'], batches: ['[1]', '[3]'] });
  });

  it('reads an empty page from nil (a blocking read that timed out) or no entries', () => {
    expect(entriesPage(null, NOW)).toEqual({ lastId: undefined, read: 0, ids: [], batches: [] });
    expect(entriesPage(reply(), NOW)).toEqual({ lastId: undefined, read: 0, ids: [], batches: [] });
  });

  it('reports the last entry read even when every entry has expired', () => {
    expect(entriesPage(reply(['1-0', ['r', '[1]', 'x', '1']], ['2-0', ['r', '[2]', 'x', '2']]), NOW)).toEqual({ lastId: '2-0', read: 2, ids: [], batches: [] });
  });

  it.each<[string, unknown]>([
    ['a string', 'OK'],
    ['two streams', [['log', []], ['other', []]]],
    ['a stream without entries', [['log']]],
    ['entries that are not an array', [['log', 'entries']]],
    ['an entry that is not an array', [['log', ['1-0']]]],
    ['an id that is not a string', [['log', [[1, ['r', '[]']]]]]],
    ['fields that are not an array', [['log', [['1-0', 'r']]]]],
  ])('refuses %s', (_, value) => {
    expect(() => entriesPage(value, NOW)).toThrow(UnexpectedEntriesReply);
  });
});
