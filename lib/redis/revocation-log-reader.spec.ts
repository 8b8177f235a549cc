import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Revocation } from '../revocation/revocation.interface.js';
import { FreshnessClock } from './freshness-clock.js';
import { KnownRevocations } from './known-revocations.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import type { RevocationLogCompactor } from './revocation-log-compactor.js';
import { RevocationLogReader } from './revocation-log-reader.js';
import { RevocationOutbox } from './revocation-outbox.js';

const keys = redisKeys('reader-spec:');
const LIVE = String(Date.now() + 3_600_000);
const EXPIRED = String(Date.now() - 3_600_000);

interface Entry {
  id: string;
  fields: string[];
}

const sid = (value: string): Revocation => ({ type: 'sid', sid: value, id: `r-${value}`, source: 'api', revokedAt: 1, expiresAt: Date.now() + 3_600_000 });
/** Orders ids of the form `<ms>-<seq>` (small numbers here). */
const order = (id: string) => {
  const [time = 0, seq = 0] = id.split('-').map(Number);
  return time * 1_000_000 + seq;
};

/**
 * A reader link over an in-memory log of entries `<n>-0`: XREAD (readBinary, its strings as Buffers) and the catch-up
 * script (eval) as Redis answers them, each recorded in `calls` when it is written to the socket
 * (node-redis writes the commands of a turn of the event loop in a setImmediate), as the deliveries
 * are; a blocking read with nothing new answers nil after a moment.
 */
function fakeLink(log: Entry[], calls: string[]): RedisLink {
  const link = new EventEmitter() as EventEmitter & { isReady: boolean };
  link.isReady = true;
  let epoch: string | undefined;
  const redis = {
    set: (_key: string, value: string) => {
      epoch ??= value;
      return Promise.resolve('OK');
    },
    get: () => Promise.resolve(epoch ?? null),
    xInfoStream: () => Promise.resolve({ 'last-generated-id': log.at(-1)?.id ?? '0-0' }),
    eval: (_script: string, options: { arguments: string[] }) => {
      const [from = '', count = '', now = ''] = options.arguments;
      setImmediate(() => calls.push(`script from ${from}`));
      const page = log.filter((entry) => order(entry.id) >= order(from)).slice(0, Number(count));
      const live = page.filter((entry) => !(Number(entry.fields[entry.fields.indexOf('x') + 1]) <= Number(now)));
      const batch = (entry: Entry) => (entry.fields.includes('r') ? entry.fields[entry.fields.indexOf('r') + 1] : null);
      return Promise.resolve([page.at(-1)?.id ?? '', page.length, live.map((entry) => entry.id), live.map(batch)]);
    },
  };
  return Object.assign(link, {
    redis,
    connect: () => Promise.resolve(),
    destroy: () => undefined,
    serverId: () => Promise.resolve('server-a'),
    readBinary: async (_key: string, args: string[]) => {
      const after = args.at(-1)!;
      const count = Number(args[args.indexOf('COUNT') + 1]);
      const blocking = args.includes('BLOCK');
      setImmediate(() => calls.push(`${blocking ? 'blocking XREAD' : 'XREAD'} after ${after}`));
      const page = log.filter((entry) => order(entry.id) > order(after)).slice(0, count);
      if (page.length === 0) {
        if (blocking) await new Promise((resolve) => setTimeout(resolve, 5));
        return null;
      }
      return [[Buffer.from(keys.stream), page.map((entry) => [Buffer.from(entry.id), entry.fields.map((field) => Buffer.from(field))])]];
    },
  }) as unknown as RedisLink;
}

function newReader(log: Entry[]) {
  const calls: string[] = [];
  const warnings: string[] = [];
  const logger = { log: () => undefined, warn: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message) };
  const clock = new FreshnessClock({ maxStaleness: 1_000, recoveryGrace: 0, logger, describeView: () => '' });
  const connection = { reader: fakeLink(log, calls), closed: false } as unknown as RedisConnection;
  const delivered: string[] = [];
  const reader = new RevocationLogReader(connection, keys, {
    clock,
    outbox: new RevocationOutbox(),
    known: new KnownRevocations(),
    compactor: { due: () => false } as unknown as RevocationLogCompactor,
    deliver: (revocations) => {
      calls.push(`deliver ${revocations.length}`);
      for (const revocation of revocations) delivered.push(revocation.type === 'sid' ? revocation.sid : revocation.type);
    },
    logger,
  });
  return { reader, clock, calls, warnings, delivered };
}

describe('RevocationLogReader catching up', () => {
  const running: RevocationLogReader[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((reader) => reader.stop()));
  });

  function start(log: Entry[]) {
    const parts = newReader(log);
    parts.clock.start();
    parts.reader.start();
    running.push(parts.reader);
    return parts;
  }

  it('asks for the next XREAD page before applying one, applies every live entry once in log order, and skips a malformed one with a warning', async () => {
    const log: Entry[] = [];
    const expected: string[] = [];
    for (let i = 1; i <= 12_000; i += 1) {
      if (i === 7_000) log.push({ id: `${i}-0`, fields: ['r', '[{"type":"sid"', 'x', LIVE] });
      else {
        log.push({ id: `${i}-0`, fields: ['r', JSON.stringify([sid(`s${i}`)]), 'x', LIVE] });
        expected.push(`s${i}`);
      }
    }
    const { reader, clock, calls, warnings, delivered } = start(log);
    expect(await clock.waitForFirstRead(10_000)).toBe(true);

    expect(delivered).toEqual(expected);
    expect(reader.lastEntryId).toBe('12000-0');
    expect(warnings).toEqual(['skipped log entry 7000-0: not a revocation batch']);
    // A script page (all live: XREAD reads on), then XREAD pages of 5,000, each sent before the previous one is delivered.
    expect(calls.slice(0, 8)).toEqual([
      'script from 0-1',
      'XREAD after 1000-0',
      'deliver 1000',
      'XREAD after 6000-0',
      'deliver 5000',
      'XREAD after 11000-0',
      'deliver 4999',
      'deliver 1000',
    ]);
  });

  it('reads with the script again once XREAD pages turn mostly expired, and is fresh only after the last page', async () => {
    const log: Entry[] = [];
    for (let i = 1; i <= 6_000; i += 1) log.push({ id: `${i}-0`, fields: ['r', JSON.stringify([sid(`s${i}`)]), 'x', i <= 1_000 ? LIVE : EXPIRED] });
    for (let i = 6_001; i <= 6_500; i += 1) log.push({ id: `${i}-0`, fields: ['r', JSON.stringify([sid(`s${i}`)]), 'x', LIVE] });
    const { reader, clock, calls, delivered } = start(log);
    expect(await clock.waitForFirstRead(10_000)).toBe(true);

    expect(delivered).toHaveLength(1_500);
    expect(reader.lastEntryId).toBe('6500-0');
    expect(calls.slice(0, 5)).toEqual(['script from 0-1', 'XREAD after 1000-0', 'deliver 1000', 'script from 6000-1', 'deliver 500']);
  });

  it('compacts beside the loop on the writer; a compaction that finds the log on another server has the loop check the log again first', async () => {
    const log: Entry[] = [];
    for (let i = 1; i <= 3; i += 1) log.push({ id: `${i}-0`, fields: ['r', JSON.stringify([sid(`s${i}`)]), 'x', LIVE] });
    const calls: string[] = [];
    const reader = fakeLink(log, calls);
    // The reader's server is 'server-a' at the first check, 'server-b' from then on (a failover the reader did not notice).
    let readerChecks = 0;
    Object.assign(reader, { serverId: () => Promise.resolve(++readerChecks === 1 ? 'server-a' : 'server-b') });
    Object.assign(reader.redis, {
      xAdd: (_key: string, _id: string, fields: Record<string, string>) => {
        log.push({ id: `${log.length + 1}-0`, fields: Object.entries(fields).flat() });
        return Promise.resolve(`${log.length}-0`);
      },
    });
    const writer = fakeLink(log, []);
    Object.assign(writer, { serverId: () => Promise.resolve('server-b') });
    const compacted: Array<{ redis: unknown; covered: string; live: number }> = [];
    const compactor = {
      due: () => compacted.length === 0,
      compact: (redis: unknown, covered: string, live: Revocation[]) => {
        compacted.push({ redis, covered, live: live.length });
        return Promise.resolve(undefined);
      },
    } as unknown as RevocationLogCompactor;
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message) };
    const clock = new FreshnessClock({ maxStaleness: 1_000, recoveryGrace: 0, logger, describeView: () => '' });
    const known = new KnownRevocations();
    const connection = { reader, writer, closed: false } as unknown as RedisConnection;
    const logReader = new RevocationLogReader(connection, keys, {
      clock,
      outbox: new RevocationOutbox(),
      known,
      compactor,
      deliver: (revocations) => known.add(revocations),
      logger,
    });
    running.push(logReader);
    clock.start();
    logReader.start();
    expect(await clock.waitForFirstRead(10_000)).toBe(true);

    await vi.waitFor(() => expect(compacted).toHaveLength(1), { timeout: 5_000 });
    // Not on the server the log was read from: the loop checked the log again (and re-published what it knows) first.
    expect(warnings).toContainEqual(expect.stringMatching(/^another Redis server holds the revocation log now .*: re-publishing the 3 live revocation\(s\)/));
    expect(compacted[0]!.redis).toBe(writer.redis);
    expect(compacted[0]!.live).toBe(3);
  });
});
