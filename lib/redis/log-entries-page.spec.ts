import { describe, expect, it } from 'vitest';
import { entriesPage, UnexpectedEntriesReply } from './log-entries-page.js';

const NOW = 1_700_000_000_000;
/** XREAD's reply for one stream, as Redis sends it with its strings as Buffers: entries of `[id, [field, value, ...]]`. */
const reply = (...entries: Array<[string, string[]]>) => [[Buffer.from('log'), entries.map(([id, fields]) => [Buffer.from(id), fields.map((field) => Buffer.from(field))])]];
/** A page with its ids as text. */
const read = (value: unknown) => {
  const page = entriesPage(value, NOW);
  return { ...page, ids: page.ids.map(String) };
};

describe('an XREAD reply as a page of the log', () => {
  it('counts every entry as read and keeps the live ones with their batches, in log order', () => {
    const page = read(
      reply(['1-0', ['r', '[1]', 'x', String(NOW + 1)]], ['2-0', ['r', '[2]', 'x', String(NOW)]], ['3-0', ['x', String(NOW - 1), 'r', '[3]']], ['4-0', ['x', String(NOW + 60_000), 'r', '[4]']]),
    );
    expect(page).toEqual({ lastId: '4-0', read: 4, ids: ['1-0', '4-0'], batches: ['[1]', '[4]'] });
  });

  it('keeps an entry without a readable expiry for the client to check, and one without a batch as null', () => {
    const page = read(reply(['1-0', ['r', '[1]']], ['2-0', ['r', '[2]', 'x', 'nan']], ['3-0', ['x', String(NOW + 1), 'payload', 'not ours']]));
    expect(page).toEqual({ lastId: '3-0', read: 3, ids: ['1-0', '2-0', '3-0'], batches: ['[1]', '[2]', null] });
  });

  it('reads the last of a field given twice, and past fields it does not know', () => {
    const page = read(reply(['1-0', ['x', String(NOW - 1), 'r', '[1]', 'x', String(NOW + 1)]], ['2-0', ['r', '[2]', 'x', String(NOW + 1), 'x', String(NOW - 1)]], ['3-0', ['v', '2', 'r', '[3]', 'x', String(NOW + 1), 'extra', '{}']]));
    expect(page).toEqual({ lastId: '3-0', read: 3, ids: ['1-0', '3-0'], batches: ['[1]', '[3]'] });
  });

  it('reads an empty page from nil (a blocking read that timed out) or no entries', () => {
    expect(entriesPage(null, NOW)).toEqual({ lastId: undefined, read: 0, ids: [], batches: [] });
    expect(read(reply())).toEqual({ lastId: undefined, read: 0, ids: [], batches: [] });
  });

  it('reports the last entry read even when every entry has expired', () => {
    expect(read(reply(['1-0', ['r', '[1]', 'x', '1']], ['2-0', ['r', '[2]', 'x', '2']]))).toEqual({ lastId: '2-0', read: 2, ids: [], batches: [] });
  });

  it('reads x as Number() reads its text, whatever its digits', () => {
    const expired = ['0', '', '1e3', '+1', ' 12 ', String(NOW), '0x10', '0000000000000000001'];
    const live = [String(NOW + 1), '1e13', '99999999999999999999', 'Infinity', 'soon', '-'];
    const page = read(reply(...[...expired, ...live].map((x, i): [string, string[]] => [`${i + 1}-0`, ['r', '[]', 'x', x]])));
    expect(page.ids).toEqual(live.map((_, i) => `${expired.length + i + 1}-0`));
  });

  it("passes over a compaction's snapshot entry that covers only entries the reader has applied, and keeps the others", () => {
    const live = String(NOW + 60_000);
    const entries: Array<[string, string[]]> = [
      ['10-0', ['r', '[covered]', 'x', live, 'c', '5-3']],
      ['11-0', ['r', '[same]', 'x', live, 'c', '7-0']],
      ['12-0', ['r', '[later]', 'x', live, 'c', '7-1']],
      ['13-0', ['r', '[ordinary]', 'x', live]],
      ['14-0', ['r', '[not an id]', 'x', live, 'c', 'yesterday']],
    ];
    const applied = (after: string) => {
      const page = entriesPage(reply(...entries), NOW, after);
      return { ...page, ids: page.ids.map(String) };
    };
    // Applied up to 7-0: the snapshots of 5-3 and 7-0 hold nothing new here; all five count as read.
    expect(applied('7-0')).toEqual({ lastId: '14-0', read: 5, ids: ['12-0', '13-0', '14-0'], batches: ['[later]', '[ordinary]', '[not an id]'] });
    // A new instance (from the start) reads every snapshot: what they cover may be trimmed.
    expect(applied('0-0').ids).toEqual(['10-0', '11-0', '12-0', '13-0', '14-0']);
    // Ids compare as numbers, not as text.
    expect(applied('10-0').ids).toEqual(['13-0', '14-0']);
  });

  it.each<[string, unknown]>([
    ['a string', 'OK'],
    ['two streams', [['log', []], ['other', []]]],
    ['a stream without entries', [['log']]],
    ['entries that are not an array', [['log', 'entries']]],
    ['an entry that is not an array', [['log', [Buffer.from('1-0')]]]],
    ['an id that is not a string', [['log', [[1, [Buffer.from('r'), Buffer.from('[]')]]]]]],
    ['an id decoded to text (not the binary reply asked for)', [['log', [['1-0', [Buffer.from('r'), Buffer.from('[]')]]]]]],
    ['fields that are not an array', [['log', [[Buffer.from('1-0'), 'r']]]]],
    ['a field value that is not a string', [['log', [[Buffer.from('1-0'), [Buffer.from('r'), 42]]]]]],
  ])('refuses %s', (_, value) => {
    expect(() => entriesPage(value, NOW)).toThrow(UnexpectedEntriesReply);
  });
});
