import { describe, expect, it } from 'vitest';
import { entriesPage, type XReadReply } from './log-entries-page.js';

const NOW = 1_700_000_000_000;
const reply = (...messages: Array<{ id: string; message: Record<string, string> }>) => [{ name: 'log', messages }] as unknown as XReadReply;

describe('an XREAD reply as a page of the log', () => {
  it('counts every entry as read and keeps the live ones with their batches, in log order', () => {
    const page = entriesPage(
      reply(
        { id: '1-0', message: { r: '[1]', x: String(NOW + 1) } },
        { id: '2-0', message: { r: '[2]', x: String(NOW) } },
        { id: '3-0', message: { r: '[3]', x: String(NOW - 1) } },
        { id: '4-0', message: { r: '[4]', x: String(NOW + 60_000) } },
      ),
      NOW,
    );
    expect(page).toEqual({ lastId: '4-0', read: 4, ids: ['1-0', '4-0'], batches: ['[1]', '[4]'] });
  });

  it('keeps an entry without a readable expiry for the client to check, and one without a batch as null', () => {
    const page = entriesPage(
      reply({ id: '1-0', message: { r: '[1]' } }, { id: '2-0', message: { r: '[2]', x: 'nan' } }, { id: '3-0', message: { x: String(NOW + 1), payload: 'not ours' } }),
      NOW,
    );
    expect(page).toEqual({ lastId: '3-0', read: 3, ids: ['1-0', '2-0', '3-0'], batches: ['[1]', '[2]', null] });
  });

  it('reads an empty page from no reply (a blocking read that timed out, or nothing after the id)', () => {
    expect(entriesPage(null, NOW)).toEqual({ lastId: undefined, read: 0, ids: [], batches: [] });
    expect(entriesPage(reply(), NOW)).toEqual({ lastId: undefined, read: 0, ids: [], batches: [] });
  });

  it('reports the last entry read even when every entry has expired', () => {
    expect(entriesPage(reply({ id: '1-0', message: { r: '[1]', x: '1' } }, { id: '2-0', message: { r: '[2]', x: '2' } }), NOW)).toEqual({
      lastId: '2-0',
      read: 2,
      ids: [],
      batches: [],
    });
  });
});
