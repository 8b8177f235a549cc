/**
 * Catch-up benchmark: what an instance pays at start-up to read the shared revocation log, and
 * what the log costs Redis, for a long logout history of which few revocations are still live.
 *
 *   npm run bench:catch-up          (LOGOUTS=1000000 ACTIVE=10000 by default)
 *
 * One private redis-server (loopback, nothing persisted). The history: LOGOUTS entries of one
 * revocation each, of which every (LOGOUTS / ACTIVE)-th is live for two hours and the others have
 * expired: live revocations spread through the history, as sessions of varied lifetimes leave
 * them. The same history is written twice in one run:
 * A. uncompacted, then compacted by the RevocationLogCompactor of a starting instance;
 * B. uncompacted, then trimmed by expiry (RevocationLogTrimmer rounds until one removes nothing,
 *    what 0.2 does at one bounded round per instance per trimInterval), then compacted.
 * For each state: the stream's memory (MEMORY USAGE), Redis' (INFO used_memory less the empty server's),
 * entries (XLEN), and the start-up time of a new backend (createRedisLogoutBackend + start(),
 * which resolves after the first complete read), with the revocations it read. Compaction is kept
 * off until asked for by holding its lock key. Writes bench/results/catch-up.json.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createClient, type RedisClientType } from 'redis';
import type { Revocation } from '../lib/index.js';
import { createRedisLogoutBackend, redisKeys } from '../lib/redis/index.js';
import { RevocationLogTrimmer } from '../lib/redis/revocation-log-trimmer.js';
import { RedisServer, redisServerAvailable } from '../test/support/redis-server.js';
import { quietLogger } from '../test/support/redis-test-helpers.js';
import { waitFor } from '../test/support/wait-for.js';

const LOGOUTS = Number(process.env.LOGOUTS ?? 1_000_000);
const ACTIVE = Number(process.env.ACTIVE ?? 10_000);
const PREFIX = 'catch-up:';
const WRITE_BATCH = 10_000;

interface Measure {
  state: string;
  entries: number;
  streamBytes: number;
  usedMemoryBytes: number;
  startupMs: number;
  /** Revocations the new backend read (expired ones included: it decodes every entry it reads). */
  revocationsReceived: number;
  durationMs?: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function usedMemory(admin: RedisClientType): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
}

async function writeHistory(admin: RedisClientType, stream: string): Promise<void> {
  const now = Date.now();
  const every = Math.max(1, Math.floor(LOGOUTS / ACTIVE));
  for (let start = 0; start < LOGOUTS; start += WRITE_BATCH) {
    const writes: Array<Promise<unknown>> = [];
    for (let i = start; i < Math.min(LOGOUTS, start + WRITE_BATCH); i += 1) {
      const live = i % every === 0;
      const revocation: Revocation = {
        type: 'sid',
        sid: `catch-up-sid-${i}`,
        id: randomUUID(),
        source: 'backchannel-logout',
        revokedAt: now - 7_200_000,
        // Live for longer than the trimmer waits for a live head entry (an hour): it then deletes behind it.
        expiresAt: live ? now + 7_200_000 : now - 3_600_000,
      };
      // Pipelined: node-redis sends the batch's commands together.
      writes.push(admin.xAdd(stream, '*', { r: JSON.stringify([revocation]), x: String(revocation.expiresAt) }));
    }
    await Promise.all(writes);
  }
}

/** Starts a backend the way an app does; resolves when its first complete read is done. */
async function startup(url: string): Promise<{ ms: number; received: number }> {
  const backend = createRedisLogoutBackend({ url, keyPrefix: PREFIX, startTimeout: 600_000, logger: quietLogger() });
  let received = 0;
  backend.revocationBus.subscribe((list) => (received += list.length));
  const started = performance.now();
  await backend.revocationBus.start();
  const ms = performance.now() - started;
  await backend.close();
  return { ms, received };
}

async function measure(admin: RedisClientType, url: string, state: string, baseline: number, stream: string): Promise<Measure> {
  // The log as it is, before the new backend's own trimmer touches it.
  const entries = await admin.xLen(stream);
  const streamBytes = (await admin.memoryUsage(stream, { SAMPLES: 0 })) ?? 0;
  const usedMemoryBytes = (await usedMemory(admin)) - baseline;
  const { ms, received } = await startup(url);
  const result = { state, entries, streamBytes, usedMemoryBytes, startupMs: Math.round(ms), revocationsReceived: received };
  console.log(
    `${state.padEnd(28)}${String(result.entries).padStart(10)}${mib(result.streamBytes).padStart(12)}${mib(result.usedMemoryBytes).padStart(12)}` +
      `${`${result.startupMs} ms`.padStart(12)}${String(received).padStart(12)}`,
  );
  return result;
}

/** A starting instance compacts the log (its lock released); resolves the ms from its start until the log is compacted. */
async function compactByAnInstance(admin: RedisClientType, url: string, stream: string): Promise<number> {
  const started = performance.now();
  const instance = createRedisLogoutBackend({ url, keyPrefix: PREFIX, startTimeout: 600_000, logger: quietLogger() });
  await instance.revocationBus.start();
  await waitFor(async () => (await admin.xLen(stream)) <= Math.ceil(ACTIVE / 250) + 1, 'the log compacted', 600_000, 50);
  await instance.close();
  return Math.round(performance.now() - started);
}

async function main(): Promise<void> {
  if (!redisServerAvailable()) throw new Error('redis-server is required for this benchmark (apt-get install redis-server)');
  const redis = await RedisServer.start();
  const admin: RedisClientType = createClient({ url: redis.url });
  await admin.connect();
  const keys = redisKeys(PREFIX);
  const header = `${'log'.padEnd(28)}${'entries'.padStart(10)}${'stream'.padStart(12)}${'Redis'.padStart(12)}${'start-up'.padStart(12)}${'read'.padStart(12)}`;
  try {
    const baseline = await usedMemory(admin);
    const measures: Measure[] = [];
    const history = async (run: string) => {
      await admin.del(keys.stream);
      const writing = performance.now();
      await writeHistory(admin, keys.stream);
      console.log(`\n${run}: wrote ${LOGOUTS} logouts (${ACTIVE} live, spread through the history) in ${Math.round(performance.now() - writing)} ms\n${header}`);
      // No compaction until the run asks for it: the lock is taken.
      await admin.set(keys.compaction, 'bench', { PX: 3_600_000 });
      measures.push(await measure(admin, redis.url, `${run}: uncompacted`, baseline, keys.stream));
    };

    await history('A');
    await admin.del(keys.compaction);
    const compactMs = await compactByAnInstance(admin, redis.url, keys.stream);
    measures.push({ ...(await measure(admin, redis.url, 'A: compacted', baseline, keys.stream)), durationMs: compactMs });

    await history('B');
    const trimmer = new RevocationLogTrimmer(() => admin, keys.stream);
    const trimming = performance.now();
    let rounds = 0;
    while ((await trimmer.round()) > 0) rounds += 1;
    const trimMs = Math.round(performance.now() - trimming);
    measures.push({ ...(await measure(admin, redis.url, 'B: trimmed by expiry', baseline, keys.stream)), durationMs: trimMs });
    await admin.del(keys.compaction);
    const compactTrimmedMs = await compactByAnInstance(admin, redis.url, keys.stream);
    measures.push({ ...(await measure(admin, redis.url, 'B: then compacted', baseline, keys.stream)), durationMs: compactTrimmedMs });

    console.log(
      `\nA: compaction by a starting instance, its catch-up of the whole log included: ${compactMs} ms\n` +
        `B: trimming by expiry: ${rounds} rounds of the trimmer (${trimMs} ms back to back; one round per instance per trimInterval, 60 s by default), ` +
        `then compaction ${compactTrimmedMs} ms`,
    );
    const [raw, compacted] = measures;
    console.log(
      `compacted vs uncompacted: start-up ${(raw!.startupMs / compacted!.startupMs).toFixed(0)}× faster, ` +
        `stream ${(raw!.streamBytes / compacted!.streamBytes).toFixed(0)}× smaller`,
    );
    writeFileSync(
      new URL('./results/catch-up.json', import.meta.url),
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, logouts: LOGOUTS, active: ACTIVE, trimRounds: rounds, measures }, null, 2)}\n`,
    );
  } finally {
    await admin.close();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
