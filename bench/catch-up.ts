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
 * off until asked for by holding its lock key.
 *
 * First, the catch-up itself at 100k and 1M entries (SIZES), uncompacted: once with 1% of the
 * entries live (a long history) and once with every entry live (the worst case: nothing to pass
 * over), each revocation applied by the module's RevocationService (bench/catch-up-instance.ts).
 * Goal: 1M entries applied in ≤ 5 s. Each start-up runs in a new process, as a new instance does
 * (bench/catch-up-instance.ts), on a fresh copy of the same log, ROUNDS times (default 3; the
 * median is reported).
 *
 *   npm run bench:catch-up -- --baseline ../base
 *
 * also starts the library of another checkout (e.g. `git worktree add ../base main`, with its
 * node_modules linked) on the same logs, alternating with this one round by round, and reports
 * this checkout's start-up ÷ the baseline's: the machine is shared, so only figures measured side
 * by side compare. Writes bench/results/catch-up.json.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type RedisClientType } from 'redis';
import type { Revocation } from '../lib/index.js';
import { createRedisLogoutBackend, redisKeys } from '../lib/redis/index.js';
import { RevocationLogTrimmer } from '../lib/redis/revocation-log-trimmer.js';
import { RedisServer, redisServerAvailable } from '../test/support/redis-server.js';
import { quietLogger } from '../test/support/redis-test-helpers.js';
import type { InstanceRun } from './catch-up-instance.js';
import { describeMachine, newReport, saveReport, type Goal } from './support/report.js';
import { median } from './support/stats.js';
import { speedYardstickMs } from './support/yardstick.js';
import { waitFor } from '../test/support/wait-for.js';

const LOGOUTS = Number(process.env.LOGOUTS ?? 1_000_000);
const ACTIVE = Number(process.env.ACTIVE ?? 10_000);
const PREFIX = 'catch-up:';
const WRITE_BATCH = 10_000;
const SIZES = (process.env.SIZES ?? '100000,1000000').split(',').map(Number).filter((n) => n > 0);
const CATCH_UP_GOAL_MS = 5_000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** Where the log is written once, to be copied afresh before each start-up (the trimmer of an instance changes it). */
const SOURCE_KEY = `${PREFIX}source`;
const HERE = fileURLToPath(new URL('../', import.meta.url));

/** `--baseline <checkout>`: another checkout to start alternately with this one. */
function baselineCheckout(): string | undefined {
  const at = process.argv.indexOf('--baseline');
  const path = at >= 0 ? process.argv[at + 1] : undefined;
  if (at >= 0 && path === undefined) throw new Error('--baseline needs the path of a checkout');
  return path === undefined ? undefined : resolve(path);
}

/** Start-ups of one build on one log: their medians. */
interface BuildFigures {
  startupMs: number;
  cpuMs: number;
  redisCpuMs: number;
  runs: InstanceRun[];
}

interface CatchUp {
  entries: number;
  live: number;
  /** Median of this checkout's start-ups. */
  startupMs: number;
  /** Revocations the store took (the live ones). */
  applied: number;
  entriesPerSecond: number;
  candidate: BuildFigures;
  baseline?: BuildFigures & {
    /** Median over the rounds of this checkout's start-up ÷ the baseline's, in the same round. */
    ratio: number;
  };
}

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


async function writeHistory(admin: RedisClientType, stream: string, logouts = LOGOUTS, active = ACTIVE): Promise<void> {
  const now = Date.now();
  const every = Math.max(1, Math.floor(logouts / active));
  for (let start = 0; start < logouts; start += WRITE_BATCH) {
    const writes: Array<Promise<unknown>> = [];
    for (let i = start; i < Math.min(logouts, start + WRITE_BATCH); i += 1) {
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

/** `CPU_PROFILE_DIR=<dir>`: each instance writes a V8 CPU profile there (Chrome DevTools, or `node --cpu-prof` tools, read it). */
function profiling(): string[] {
  const dir = process.env.CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`] : [];
}

/**
 * A new instance, in a process of its own, of the library in `checkout`: resolves when its first
 * complete read is done, with its figures (see catch-up-instance.ts).
 */
async function startup(url: string, checkout = HERE): Promise<InstanceRun> {
  const stdout = await new Promise<string>((done, fail) => {
    execFile(
      process.execPath,
      [...profiling(), '--import', `${HERE}test/support/ts-register.js`, `${HERE}bench/catch-up-instance.ts`, checkout, url, PREFIX],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, out, err) => (error ? fail(new Error(`${error.message}\n${err}`)) : done(out)),
    );
  });
  const run = JSON.parse(stdout.trim().split('\n').pop()!) as InstanceRun;
  const which = checkout === HERE ? 'this checkout' : 'baseline';
  for (const warning of run.warnings) console.log(`  (${which}: ${warning.slice(0, 200)})`);
  // Past logouts are history: announcing them would look up their sessions in the registry.
  if (run.events > 0) console.log(`  (${which}: ${run.events} onLogout event(s) fired during start-up)`);
  return run;
}

/** The log as written, copied afresh to where instances read it; compaction held off. */
async function freshLog(admin: RedisClientType, stream: string): Promise<void> {
  await admin.copy(SOURCE_KEY, stream, { REPLACE: true });
  await admin.set(redisKeys(PREFIX).compaction, 'bench', { PX: 3_600_000 });
}

function figures(runs: InstanceRun[]): BuildFigures {
  return {
    startupMs: Math.round(median(runs.map((run) => run.ms))),
    cpuMs: Math.round(median(runs.map((run) => run.cpuMs))),
    redisCpuMs: Math.round(median(runs.map((run) => run.redisCpuMs))),
    runs,
  };
}

/**
 * New instances' start-ups on an uncompacted log of `entries`, `live` of them live: ROUNDS of
 * them, each on a fresh copy of the log; with a baseline, its start-ups alternate with these
 * (which goes first alternates too).
 */
async function catchUp(admin: RedisClientType, url: string, stream: string, entries: number, live: number, baseline: string | undefined): Promise<CatchUp> {
  await admin.del(SOURCE_KEY);
  await writeHistory(admin, SOURCE_KEY, entries, live);
  const ours: InstanceRun[] = [];
  const theirs: InstanceRun[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = baseline === undefined ? ['ours'] : round % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours'];
    for (const which of order) {
      await freshLog(admin, stream);
      if (which === 'ours') ours.push(await startup(url));
      else theirs.push(await startup(url, baseline));
    }
    if (baseline !== undefined) ratios.push(ours[round]!.ms / theirs[round]!.ms);
  }
  const candidate = figures(ours);
  const result: CatchUp = {
    entries,
    live,
    startupMs: candidate.startupMs,
    applied: ours[0]!.applied,
    entriesPerSecond: Math.round(entries / (candidate.startupMs / 1000)),
    candidate,
    ...(baseline === undefined ? {} : { baseline: { ...figures(theirs), ratio: median(ratios) } }),
  };
  const b = result.baseline;
  const ms = (value: number | undefined) => (value === undefined ? '' : `${value} ms`.padStart(12));
  console.log(
    `${String(entries).padStart(10)}${String(live).padStart(10)}${ms(result.startupMs)}${ms(b?.startupMs)}${b ? `${b.ratio.toFixed(2).padStart(8)}×` : ''}` +
      `${String(result.applied).padStart(10)}${String(result.entriesPerSecond).padStart(12)}${ms(candidate.cpuMs)}${ms(b?.cpuMs)}${ms(candidate.redisCpuMs)}${ms(b?.redisCpuMs)}`,
  );
  return result;
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

const machine = describeMachine();
/** This machine's speed in this run (support/yardstick.ts), measured before any Redis or instance runs. */
const yardstickMs = Math.round(speedYardstickMs());

const n = (value: number) => value.toLocaleString('en-US');

/** The catch-up rows: medians of ROUNDS start-ups, side by side with the baseline's when there is one. */
function catchUpTable(catchUps: CatchUp[]): string[] {
  const compared = catchUps.some((c) => c.baseline);
  const header = compared
    ? ['log entries', 'live', 'start-up (ms)', 'baseline (ms)', 'start-up ÷ baseline', 'revocations applied', 'entries per second', 'CPU of the instance (ms)', 'baseline', 'CPU of Redis (ms)', 'baseline']
    : ['log entries', 'live', 'start-up (ms)', 'revocations applied', 'entries per second', 'CPU of the instance (ms)', 'CPU of Redis (ms)'];
  const rows = catchUps.map((c) => {
    const b = c.baseline;
    const cells = b
      ? [c.entries, c.live, c.startupMs, b.startupMs, `${b.ratio.toFixed(2)}×`, c.applied, c.entriesPerSecond, c.candidate.cpuMs, b.cpuMs, c.candidate.redisCpuMs, b.redisCpuMs]
      : [c.entries, c.live, c.startupMs, c.applied, c.entriesPerSecond, c.candidate.cpuMs, c.candidate.redisCpuMs];
    return `| ${cells.map((cell) => (typeof cell === 'number' ? n(cell) : cell)).join(' | ')} |`;
  });
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows];
}

/** The bench/RESULTS.md section (8) and its goal, saved as bench/results/catch-up.json. */
function catchUpReport(catchUps: CatchUp[], measures: Measure[], times: { compactMs: number; rounds: number; trimMs: number; compactTrimmedMs: number }) {
  const million = catchUps.filter((c) => c.entries === 1_000_000);
  const worst = million.length > 0 ? Math.max(...million.map((c) => c.startupMs)) : undefined;
  const goals: Goal[] = [
    {
      goal: `a new instance applies 1,000,000 log entries in ≤ ${CATCH_UP_GOAL_MS / 1000} s (uncompacted log), reporting not-ready meanwhile`,
      measured:
        worst === undefined
          ? 'not measured (SIZES without 1,000,000)'
          : `${million.map((c) => `${(c.startupMs / 1000).toFixed(1)} s with ${c.live === c.entries ? 'every entry live' : `${c.live.toLocaleString('en-US')} live`}`).join(', ')} (load average at start ${machine.loadAverage.toFixed(1)} on ${machine.cpus} cores; speed yardstick ${yardstickMs} ms)`,
      met: worst === undefined ? null : worst <= CATCH_UP_GOAL_MS,
    },
  ];
  const [raw, compacted] = measures;
  const seconds = (measure: Measure | undefined) => (measure ? `${(measure.startupMs / 1000).toFixed(1)} s` : '?');
  const markdown = [
    'A new instance starting on a log of many entries (`createRedisLogoutBackend`, then `RevocationService.onApplicationBootstrap()`, which resolves after its first',
    'complete read: Nest does not listen before, see README "Metrics and health"), each revocation applied by the module\'s',
    '`RevocationService` (store, telemetry without an SDK, one `onLogout` listener). One private redis-server on loopback, the log written beforehand (one revocation per entry), compaction held off.',
    'Live revocations are spread through the history; the others have expired, and the reader passes over an entry whose revocations',
    'have all expired without parsing it.',
    '',
    ...catchUpTable(catchUps),
    '',
    `Speed yardstick of this run: ${yardstickMs} ms (\`bench/support/yardstick.ts\`: JSON.parse of 100,000 revocation batches into a Map, in the bench`,
    "process before anything starts). Machines of one kind differ two- or threefold between runs, so start-ups of two runs compare",
    "only beside their yardsticks; Redis' CPU for the same log, whose code does not change with the library, tells the same.",
    '',
    `The same history of ${LOGOUTS.toLocaleString('en-US')} logouts (${ACTIVE.toLocaleString('en-US')} live), uncompacted, compacted by a starting instance, and trimmed by expiry:`,
    '',
    '| log | entries | stream memory | Redis memory | start-up of a new instance (ms) | revocations read |',
    '| --- | --- | --- | --- | --- | --- |',
    ...measures.map((m) => `| ${m.state} | ${m.entries.toLocaleString('en-US')} | ${mib(m.streamBytes)} | ${mib(m.usedMemoryBytes)} | ${m.startupMs.toLocaleString('en-US')} | ${m.revocationsReceived.toLocaleString('en-US')} |`),
    '',
    `Compaction by a starting instance took ${times.compactMs} ms, its catch-up of the whole log included; trimming by expiry took ${times.rounds} trimmer`,
    `rounds (${times.trimMs} ms back to back; one round per instance per \`trimInterval\`), then compaction ${times.compactTrimmedMs} ms.`,
    raw && compacted ? `Compacted ÷ uncompacted: start-up ${(compacted.startupMs / raw.startupMs).toFixed(3)}×, stream ${(compacted.streamBytes / raw.streamBytes).toFixed(3)}×.` : '',
    '',
    `The two uncompacted runs of one ${LOGOUTS.toLocaleString('en-US')}-entry log above took ${seconds(measures[0])} and ${seconds(measures[2])}; the machine's load (other work on its`,
    '2 cores) moves such figures from run to run. With 1% live, Redis is the bound (the script passes over the expired entries); with',
    "every entry live, the instance's CPU is (Redis' is about a sixth of it): the next page is sent before one is applied, XREAD",
    'replies are read as Redis sends them (no object per entry), what a revocation costs on top of the RevocationStore is made',
    'once (telemetry attributes), past logouts fire no `onLogout`, and KnownRevocations (kept to re-publish a lost log) sorts what',
    "was read into its maps after the start-up, in the background. What is left is JSON.parse and the shape check of each batch, the",
    "store's map, garbage collection and node-redis' decoding of the replies. Compaction keeps a log at about twice its live",
    'revocations, so a long log of live entries only is the worst case, not the usual one.',
  ].join('\n');
  return { ...newReport({ name: 'catch-up', order: 9, title: 'Catch-up of a new instance', command: 'npm run bench:catch-up', goals, markdown }, machine), catchUps, measures };
}

async function main(): Promise<void> {
  if (!redisServerAvailable()) throw new Error('redis-server is required for this benchmark (apt-get install redis-server)');
  const redis = await RedisServer.start();
  const admin: RedisClientType = createClient({ url: redis.url });
  await admin.connect();
  const keys = redisKeys(PREFIX);
  const header = `${'log'.padEnd(28)}${'entries'.padStart(10)}${'stream'.padStart(12)}${'Redis'.padStart(12)}${'start-up'.padStart(12)}${'read'.padStart(12)}`;
  try {
    console.log(`catch-up of a new instance on an uncompacted log (goal: 1,000,000 entries applied in ≤ ${CATCH_UP_GOAL_MS} ms)`);
    console.log(`speed yardstick of this machine: ${yardstickMs} ms (bench/support/yardstick.ts)`);
    const baselineRoot = baselineCheckout();
    if (baselineRoot) console.log(`baseline: ${baselineRoot}, alternating with this checkout, ${ROUNDS} rounds each`);
    const theirs = (name: string) => (baselineRoot ? name.padStart(12) : '');
    console.log(
      `${'entries'.padStart(10)}${'live'.padStart(10)}${'start-up'.padStart(12)}${theirs('baseline')}${baselineRoot ? '÷'.padStart(9) : ''}${'applied'.padStart(10)}` +
        `${'entries/s'.padStart(12)}${'CPU'.padStart(12)}${theirs('baseline')}${'Redis CPU'.padStart(12)}${theirs('baseline')}`,
    );
    const catchUps: CatchUp[] = [];
    for (const entries of SIZES) {
      catchUps.push(await catchUp(admin, redis.url, keys.stream, entries, Math.max(1, Math.floor(entries / 100)), baselineRoot));
      catchUps.push(await catchUp(admin, redis.url, keys.stream, entries, entries, baselineRoot));
    }
    await admin.del(SOURCE_KEY);
    const loadAfterCatchUps = os.loadavg()[0] ?? 0;
    console.log(`load average: ${machine.loadAverage.toFixed(1)} at start, ${loadAfterCatchUps.toFixed(1)} after the catch-ups (${machine.cpus} cores)`);
    for (const run of catchUps.filter((c) => c.entries === 1_000_000)) {
      console.log(`1,000,000 entries, ${run.live} live: ${run.startupMs} ms (goal ≤ ${CATCH_UP_GOAL_MS} ms): ${run.startupMs <= CATCH_UP_GOAL_MS ? 'met' : 'NOT met'}`);
    }
    await admin.del([keys.stream, keys.compaction]);
    // CATCH_UP_ONLY=1: the sizes above only (to compare readers run after run).
    if (process.env.CATCH_UP_ONLY === '1') return;

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
    saveReport(catchUpReport(catchUps, measures, { compactMs, rounds, trimMs, compactTrimmedMs }));
  } finally {
    await admin.close();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
