/**
 * Benchmark 3: the revocation check at scale, in process (in-memory mode). With 10k, 100k
 * and 1M sessions registered in the module's default SessionRegistry (MemorySessionRegistry,
 * what the module builds without a `backend`), and side by side in a CacheManagerSessionRegistry
 * on an in-memory `createCache()` (`cacheManagerBackend`), and 10k / 100k sid revocations in the
 * RevocationStore: the time of RevocationStore.check (what the guards run on every request) for
 * tokens that are not revoked (the full check) and for revoked ones, the time of the registry's
 * own lookups, and the heap each registered session and each revocation takes.
 *
 * Needs --expose-gc and a large heap; when started without them it re-runs itself with them.
 */
import { spawnSync } from 'node:child_process';
import { createCache } from 'cache-manager';
import type { Revocation, SessionRegistry, SubjectRevocation } from '../lib/index.js';
import { heapBreakdown } from './support/heap-breakdown.js';
import { lib, loadInternal, loadRedisSubpath } from './support/library.js';
import { describeRedisMemory, measureRedisMemory, redisAvailable, REDIS_GOAL_BYTES, REDIS_GOAL_FROM_SESSIONS, type CreateBackend, type RedisMemory } from './support/redis-session-memory.js';
import { adapterIdOf, mix, uuid } from './support/session-ids.js';
import { describeMachine, isQuick, newReport, printReport, saveReport, type Goal } from './support/report.js';
import { bytes, median, num, ratio, roundOrder } from './support/stats.js';
import type { RevocationStore } from '../lib/revocation/revocation-store.js';

/** Internal: not exported by the package, timed here in process. */
const { RevocationStore: RevocationStoreClass } = await loadInternal<{ RevocationStore: typeof RevocationStore }>('revocation/revocation-store.js');

if (typeof globalThis.gc !== 'function') {
  const result = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
const gc = globalThis.gc as () => void;

const quick = isQuick();
const SESSION_COUNTS = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
const REVOCATION_COUNTS = quick ? [10_000] : [10_000, 100_000];
const LOOKUPS_PER_PASS = 1_000_000;
/**
 * Tokens in use in the "active set" measurements, the same at every size: not revoked, and
 * revoked (sessions are revoked at most one in ten, so even 10k sessions provide both).
 */
const ACTIVE_TOKENS = { miss: 5_000, hit: 1_000 };
const PASSES = quick ? 3 : 9;
/** Registry lookups per pass, over the same sessions in use at every size (spread over the first 10,000). */
const REGISTRY_LOOKUPS_PER_PASS = 200_000;
const REGISTRY_ACTIVE = Array.from({ length: 5_000 }, (_, i) => i * 2);
const TTL_MS = 36_000_000;
const FLAT_GOAL = 1.2;
const BYTES_GOAL = 512;

// Deterministic, realistic ids: UUIDs for sid/sub, 32 characters for the app's session id.
const sidOf = (i: number) => uuid(i, 1);
const subOf = (i: number) => uuid(i, 7);
/** Strings as a token's claims bring them: separate, flat copies (JSON.parse), not the registry's. */
const fresh = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** The module's default registry (Map-based, this process), or cache-manager over an in-memory Keyv (`cacheManagerBackend`). */
type RegistryKind = 'cache-manager' | 'memory';

/** The registry as the module builds it without a `backend` (keycloak-logout.providers.ts), or the cache-manager one. */
function newRegistry(kind: RegistryKind): SessionRegistry {
  return kind === 'memory' ? new lib.MemorySessionRegistry({ maxSessionsPerUser: 1000 }) : new lib.CacheManagerSessionRegistry(createCache({ ttl: TTL_MS }));
}

async function fillRegistry(count: number, kind: RegistryKind = 'memory'): Promise<{ registry: SessionRegistry; bytesPerSession: number; microsPerRegister: number }> {
  const before = heapUsed();
  const registry = newRegistry(kind);
  const issuedAt = Math.floor(Date.now() / 1000);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    // Flat strings, as production brings them (express-session ids, claims from JSON.parse),
    // not the rope strings the id generators above build from many pieces.
    await registry.register({ adapterSessionId: fresh(adapterIdOf(i)), sid: fresh(sidOf(i)), sub: fresh(subOf(i)), clientId: 'bench-app', issuedAt, expiresAt: issuedAt + TTL_MS / 1000 });
  }
  const microsPerRegister = ((performance.now() - started) * 1000) / count;
  // The default registry's minute sweep would walk every record in the middle of the timings: stopped (a later write restarts it).
  if (registry instanceof lib.MemorySessionRegistry) registry.close();
  const bytesPerSession = (heapUsed() - before) / count;
  // Sanity: the registry really holds them.
  const probe = await registry.findBySid(sidOf(count - 1));
  if (probe.length !== 1) throw new Error('registry lost a session');
  return { registry, bytesPerSession, microsPerRegister };
}

function revocation(sid: string, now: number, index: number): Revocation {
  return { type: 'sid', sid, id: `r${index}`, source: 'backchannel-logout', revokedAt: now, expiresAt: now + TTL_MS };
}

type Claims = { sid: string; sub: string; iat: number };
/** not revoked / revoked, × a fixed active set of tokens / every registered session in turn. */
type Kind = 'miss' | 'hit' | 'missAll' | 'hitAll';
const KINDS: Kind[] = ['miss', 'hit', 'missAll', 'hitAll'];

interface Scenario {
  sessions: number;
  revocations: number;
  store: RevocationStore;
  bytesPerRevocation: number;
  /** Not revoked ("miss"): every check runs (sid, adapter session, user watermark, not-before). */
  queries: Record<Kind, Claims[]>;
  ns: Record<Kind, number[]>;
}

/**
 * R sid revocations: half of them (at most a tenth of the sessions) of registered sessions, spread
 * evenly, the rest of sessions this app never saw. Plus 1% as many user watermarks (for other
 * users), so that the watermark map is not empty either.
 */
function buildScenario(sessions: number, revocations: number): Scenario {
  const now = Date.now();
  const revokedRegistered = Math.min(Math.floor(revocations / 2), Math.floor(sessions / 10));
  const stride = sessions / revokedRegistered;
  const isRevoked = (i: number) => i % stride < 1;
  const before = heapUsed();
  const store: RevocationStore = new RevocationStoreClass();
  store.onModuleDestroy(); // no prune timer
  let applied = 0;
  for (let k = 0; k < revokedRegistered; k++) store.apply(revocation(fresh(sidOf(Math.floor(k * stride))), now, applied++), now);
  for (let k = 0; applied < revocations; k++) store.apply(revocation(fresh(sidOf(sessions + k)), now, applied++), now);
  for (let k = 0; k < revocations / 100; k++) {
    const watermark: SubjectRevocation = { type: 'subject', sub: fresh(subOf(sessions + k)), issuedBefore: Math.floor(now / 1000), id: `w${k}`, source: 'api', revokedAt: now, expiresAt: now + TTL_MS };
    store.apply(watermark, now);
  }
  const bytesPerRevocation = (heapUsed() - before) / (revocations * 1.01);
  if (store.size !== revocations * 1.01) throw new Error(`store holds ${store.size} entries, expected ${revocations * 1.01}`);

  const iat = Math.floor(now / 1000);
  const miss: Claims[] = [];
  const hit: Claims[] = [];
  // Every registered session is a query (at most a million of each kind), in a shuffled order.
  const order = Array.from({ length: sessions }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = mix(i, 99) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (const i of order) {
    const claims = { sid: sidOf(i), sub: subOf(i), iat };
    if (isRevoked(i)) {
      if (hit.length < LOOKUPS_PER_PASS) hit.push(claims);
    } else if (miss.length < LOOKUPS_PER_PASS) miss.push(claims);
  }
  // The active sets: the first sessions of each kind, in shuffled order.
  const queries: Record<Kind, Claims[]> = {
    miss: fresh(miss.slice(0, ACTIVE_TOKENS.miss)),
    hit: fresh(hit.slice(0, ACTIVE_TOKENS.hit)),
    missAll: fresh(miss),
    hitAll: fresh(hit),
  };
  return { sessions, revocations, store, bytesPerRevocation, queries, ns: { miss: [], hit: [], missAll: [], hitAll: [] } };
}

/** ns per RevocationStore.check over LOOKUPS_PER_PASS lookups, cycling through `queries`. */
function timeLookups(store: RevocationStore, queries: Claims[], expectRevoked: boolean): number {
  const now = Date.now();
  let revoked = 0;
  const started = process.hrtime.bigint();
  for (let i = 0, q = 0; i < LOOKUPS_PER_PASS; i++) {
    if (store.check(queries[q]!, now) !== undefined) revoked++;
    if (++q === queries.length) q = 0;
  }
  const ns = Number(process.hrtime.bigint() - started) / LOOKUPS_PER_PASS;
  if (revoked !== (expectRevoked ? LOOKUPS_PER_PASS : 0)) throw new Error(`wrong answers: ${revoked} revoked of ${LOOKUPS_PER_PASS}`);
  return ns;
}

/** Registry lookups (findBySid, then findByAdapterSessionId) per pass, cycling through `sessions` indexes; ns per pair. */
async function timeRegistryLookups(registry: SessionRegistry, indexes: number[], lookups: number): Promise<number> {
  const sids = indexes.map((i) => fresh(sidOf(i)));
  const adapterIds = indexes.map((i) => fresh(adapterIdOf(i)));
  let found = 0;
  const started = process.hrtime.bigint();
  for (let n = 0, q = 0; n < lookups; n++) {
    if ((await registry.findBySid(sids[q]!)).length === 1 && (await registry.findByAdapterSessionId(adapterIds[q]!)) !== undefined) found++;
    if (++q === sids.length) q = 0;
  }
  const ns = Number(process.hrtime.bigint() - started) / lookups;
  if (found !== lookups) throw new Error(`registry lookups: ${lookups - found} missed`);
  return ns;
}

/**
 * µs per registration for a user who already has `maxSessionsPerUser` (1000) sessions, so that each
 * registration also drops the oldest, against one new user per registration: O(1) per user means ≈ 1×.
 */
async function registrationPerUser(kind: RegistryKind): Promise<{ single: number; crowded: number }> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const record = (i: number, sub: string) => ({ adapterSessionId: adapterIdOf(i), sid: sidOf(i), sub, clientId: 'bench-app', issuedAt, expiresAt: issuedAt + 3600 });
  const time = async (registry: SessionRegistry, from: number, count: number, subOfI: (i: number) => string) => {
    const started = performance.now();
    for (let i = from; i < from + count; i++) await registry.register(record(i, subOfI(i)));
    return ((performance.now() - started) * 1000) / count;
  };
  const singles: number[] = [];
  const crowdeds: number[] = [];
  for (let round = 0; round < (quick ? 2 : 5); round++) {
    const spread = newRegistry(kind);
    singles.push(await time(spread, 0, 20_000, (i) => subOf(i)));
    const crowded = newRegistry(kind);
    await time(crowded, 0, 1000, () => 'one-user');
    crowdeds.push(await time(crowded, 1000, 20_000, () => 'one-user'));
    if (crowded instanceof lib.MemorySessionRegistry && spread instanceof lib.MemorySessionRegistry) {
      if (crowded.size !== 1000) throw new Error(`the per-user cap kept ${crowded.size} sessions`);
      crowded.close();
      spread.close();
    }
  }
  return { single: median(singles), crowded: median(crowdeds) };
}

/** How the default registry stays small, and what the cache-manager one costs. */
const MEMORY_NOTE = [
  'The default registry keeps a record object per session, whose strings are the ids the caller gave, and Maps keyed by',
  'those same strings: app session id → record, `sid` → record, `sub` → record (a small ordered set only for a `sid` or',
  'user with several sessions); no key is built and nothing is wrapped. The cache-manager registry (kept for apps that',
  'bring their own store: `cacheManagerBackend(cache)`) stores every session as three cache entries (the record, the `sid`',
  'index, the `sub` index), each under a string key built with template literals (`keycloak-logout:session:a:…`, with',
  'Keyv\'s `keyv:` namespace in front), each value wrapped in `{ value, expires }`, each index an array of record keys: it',
  'must work unchanged on any Keyv store, so it stores what a remote store needs. The revocation store, which is what the',
  'guards read on every request, takes ~110-150 B per revoked session.',
];

/** Why the registry's own lookups grow a little with its size. */
const REGISTRY_LOOKUP_NOTE = [
  'The registry\'s lookups are one or two `Map.get`s whatever its size; what grows is where they land: a Map\'s hash table',
  'of a million entries is megabytes, so a lookup reads its bucket from memory rather than from a CPU cache (the same',
  'effect as the "every session in use" columns above). The registry is read at logout, not on guarded requests.',
];

/** What the Redis figures show. */
const REDIS_NOTE = [
  'A session is three Redis keys: its record (a string expiring with the session) and its entries in the `sid` and `sub`',
  'indexes (sorted sets, one per `sid` and per user). Each key costs Redis about 100 B before its name and value (the main',
  'dictionary entry, the key object, the expiry entry, their share of the hash tables), so three keys per session put',
  'the floor well above 256 B whatever their contents; `npm run bench:redis-memory` measures the same on the sources.',
  'Storing a record as its fields (a JSON array, without the id its key carries) instead of its JSON object took the record',
  'key from 328 B to 232 B (about 870 B → 805 B per session, one per user). Meeting 256 B needs fewer keys than sessions: records and index',
  'entries as fields of bucket hashes (many sessions per key, listpack-encoded), which the default listpack limits',
  '(64-byte values, 128 fields) make tight for two UUIDs and an app session id per record; not done yet.',
];

/** What the "every session in use" columns show. */
const LOOKUP_NOTE = [
  'The check never touches the registry and does the same Map lookups whatever the number of sessions, so with the same',
  'tokens in use it stays flat. When every one of 1M sessions is in use in turn, each check reads claims that are in no CPU',
  'cache, and with 100k revocations also a part of the store\'s tables that is not: memory latency, up to ~0.2 µs per check,',
  'against the 25-180 µs a request costs (benchmark 1).',
];

const machine = describeMachine();

// 0. Where a registered session's bytes go: heap snapshots around filling a small default registry.
console.log('heap breakdown of the default registry (10,000 sessions)...');
const BREAKDOWN_SESSIONS = 10_000;
const breakdown = await heapBreakdown(BREAKDOWN_SESSIONS, () => fillRegistry(BREAKDOWN_SESSIONS));
if ((await breakdown.kept.registry.findBySid(sidOf(0))).length !== 1) throw new Error('registry lost a session');

// 1. Registries: bytes per session, time per registration, the default and the cache-manager one at
// every size. All stay alive, like in one big app.
interface Filled {
  sessions: number;
  registry: SessionRegistry;
  bytesPerSession: number;
  microsPerRegister: number;
  cacheManager: { bytesPerSession: number; microsPerRegister: number };
  /** ns per findBySid + findByAdapterSessionId of the default registry, per pass. */
  lookupNs: number[];
}
const registries: Filled[] = [];
for (const sessions of SESSION_COUNTS) {
  console.log(`registering ${num(sessions)} sessions (default registry, then cache-manager)...`);
  const filled = await fillRegistry(sessions);
  const peer = await fillRegistry(sessions, 'cache-manager');
  registries.push({ sessions, ...filled, cacheManager: { bytesPerSession: peer.bytesPerSession, microsPerRegister: peer.microsPerRegister }, lookupNs: [] });
  console.log(
    `  default ${bytes(filled.bytesPerSession)} per session, ${filled.microsPerRegister.toFixed(1)} µs per registration; ` +
      `cache-manager ${bytes(peer.bytesPerSession)}, ${peer.microsPerRegister.toFixed(1)} µs`,
  );
}
console.log('registration for a user with 1,000 sessions vs one session per user...');
const perUser = { memory: await registrationPerUser('memory'), cacheManager: await registrationPerUser('cache-manager') };
console.log(`  default ${perUser.memory.crowded.toFixed(2)} vs ${perUser.memory.single.toFixed(2)} µs; cache-manager ${perUser.cacheManager.crowded.toFixed(2)} vs ${perUser.cacheManager.single.toFixed(2)} µs`);

// 2. Stores and queries for every (sessions, revocations) pair.
const scenarios: Scenario[] = [];
for (const revocations of REVOCATION_COUNTS) {
  for (const sessions of SESSION_COUNTS) {
    const scenario = buildScenario(sessions, revocations);
    scenarios.push(scenario);
    console.log(`${num(sessions)} sessions, ${num(revocations)} revocations: ${bytes(scenario.bytesPerRevocation)} per revocation; ${num(scenario.queries.missAll.length)} + ${num(scenario.queries.hitAll.length)} query tokens`);
  }
}

// 3. Lookups, all scenarios interleaved pass by pass (so machine noise hits them alike); one warm-up pass.
for (let pass = 0; pass <= PASSES; pass++) {
  for (const scenario of roundOrder(scenarios, pass)) {
    for (const kind of KINDS) {
      const ns = timeLookups(scenario.store, scenario.queries[kind], kind.startsWith('hit'));
      if (pass > 0) scenario.ns[kind].push(ns);
    }
  }
  for (const filled of roundOrder(registries, pass)) {
    const ns = await timeRegistryLookups(filled.registry, REGISTRY_ACTIVE, REGISTRY_LOOKUPS_PER_PASS);
    if (pass > 0) filled.lookupNs.push(ns);
  }
  if (pass > 0) console.log(`pass ${pass}/${PASSES} done`);
}

// Keep the registries reachable until here: their heap is part of the picture during lookups.
const totalRegistered = registries.reduce((sum, r) => sum + r.sessions, 0);

const smallest = SESSION_COUNTS[0]!;
const largest = SESSION_COUNTS.at(-1)!;
const goals: Goal[] = [];
const flatRows: string[] = [];
for (const revocations of REVOCATION_COUNTS) {
  const of = (sessions: number) => scenarios.find((s) => s.sessions === sessions && s.revocations === revocations)!;
  // Per pass: largest ÷ smallest (measured moments apart), then the median.
  const growth = (kind: Kind) => median(of(largest).ns[kind].map((ns, i) => ns / of(smallest).ns[kind][i]!));
  const [miss, hit, missAll, hitAll] = KINDS.map(growth) as [number, number, number, number];
  goals.push({
    goal: `lookup flat (≤ ${FLAT_GOAL}×) from ${num(smallest)} to ${num(largest)} sessions, ${num(revocations)} revocations`,
    measured: `${ratio(miss)} not revoked, ${ratio(hit)} revoked (same tokens in use at every size); every session in use: ${ratio(missAll)} / ${ratio(hitAll)}`,
    met: miss <= FLAT_GOAL && hit <= FLAT_GOAL,
  });
  flatRows.push(`| ${num(revocations)} | ${ratio(miss)} | ${ratio(hit)} | ${ratio(missAll)} | ${ratio(hitAll)} |`);
}
const worstBytes = Math.max(...registries.map((r) => r.bytesPerSession));
const worstPeer = Math.max(...registries.map((r) => r.cacheManager.bytesPerSession));
const worstRevocation = Math.max(...scenarios.map((s) => s.bytesPerRevocation));
const atLargest = registries.find((r) => r.sessions === largest)!;
const atSmallest = registries.find((r) => r.sessions === smallest)!;
const registryGrowth = median(atLargest.lookupNs.map((ns, i) => ns / atSmallest.lookupNs[i]!));
const crowdedRatio = perUser.memory.crowded / perUser.memory.single;
goals.push({
  goal: `≤ ${BYTES_GOAL} bytes per tracked session at ${num(largest)} sessions, default registry (\`MemorySessionRegistry\`)`,
  measured: `${bytes(atLargest.bytesPerSession)} per session at ${num(largest)} (worst size ${bytes(worstBytes)}); cache-manager registry ${bytes(atLargest.cacheManager.bytesPerSession)} (${ratio(atLargest.cacheManager.bytesPerSession / atLargest.bytesPerSession)} the default); revocation store ${bytes(worstRevocation)} per revoked session`,
  met: atLargest.bytesPerSession <= BYTES_GOAL,
});
goals.push({
  goal: 'default registry: registration O(1) per user (a user holding 1,000 sessions ≤ 1.2× a new user)',
  measured: `${ratio(crowdedRatio)} (${perUser.memory.crowded.toFixed(2)} vs ${perUser.memory.single.toFixed(2)} µs); cache-manager registry ${ratio(perUser.cacheManager.crowded / perUser.cacheManager.single)}`,
  met: crowdedRatio <= FLAT_GOAL,
});
goals.push({
  goal: `default registry lookups from ${num(smallest)} to ${num(largest)} sessions (findBySid + findByAdapterSessionId; no numeric goal)`,
  measured: `${ratio(registryGrowth)} (${num(median(atSmallest.lookupNs))} → ${num(median(atLargest.lookupNs))} ns per pair)`,
  met: null,
});

// 4. Redis memory per session of the Redis registry (the build's ./redis entry point), on a private redis-server.
const REDIS_SIZES = quick ? [10_000] : [10_000, 100_000, 1_000_000];
let redisMemory: RedisMemory | undefined;
const redisSubpath = await loadRedisSubpath();
if (redisAvailable() && redisSubpath) {
  console.log(`Redis registry: ${REDIS_SIZES.map((size) => num(size)).join(', ')} sessions, one and ten per user...`);
  redisMemory = await measureRedisMemory(redisSubpath.createRedisLogoutBackend as CreateBackend, REDIS_SIZES);
  console.log(describeRedisMemory(redisMemory).join('\n'));
}
const redisFigures = (memory: RedisMemory) =>
  memory.sizes.map((size) => `${num(size)}: ${memory.layouts.filter((l) => l.sessions === size).map((l) => bytes(l.usedMemoryPerSession)).join(' / ')}`).join('; ');
goals.push({
  goal: `≤ ${REDIS_GOAL_BYTES} bytes of Redis memory per tracked session, Redis registry (\`INFO memory\` used_memory delta), from ${num(REDIS_GOAL_FROM_SESSIONS)} sessions on`,
  measured: redisMemory
    ? `${redisMemory.worstPerSession === undefined ? 'not judged (no size that large)' : `${bytes(redisMemory.worstPerSession)} per session at worst`}; by sessions, one / ten per user: ${redisFigures(redisMemory)}`
    : 'not measured: redis-server or the build\'s ./redis entry point missing',
  met: redisMemory?.worstPerSession === undefined ? null : redisMemory.worstPerSession <= REDIS_GOAL_BYTES,
});

const redisMarkdown = redisMemory
  ? [
      `Redis memory of the Redis session registry (\`createRedisLogoutBackend().sessionRegistry\`, Redis ${redisMemory.redisVersion}, default`,
      `configuration): sessions registered as the module's login does (app session id, \`sid\`, \`sub\`), ${200} at a time; used_memory`,
      '(`INFO memory`) before and after, and `MEMORY USAGE` (`SAMPLES 0`) of every 50th key of each kind:',
      '',
      '| sessions | sessions per user | keys per session | used_memory per session | register µs (200 concurrent) | MEMORY USAGE by kind of key (bytes per key → per session) |',
      '| --- | --- | --- | --- | --- | --- |',
      ...redisMemory.layouts.map(
        (l) =>
          `| ${num(l.sessions)} | ${l.perUser} | ${(l.keys / l.sessions).toFixed(2)} | **${bytes(l.usedMemoryPerSession)}** | ${l.registerMicros.toFixed(1)} | ${l.keyKinds.map((k) => `\`${k.kind}\` ${num(k.bytesPerKey)} → ${num(k.bytesPerSession)}`).join('; ')} |`,
      ),
      '',
      ...REDIS_NOTE,
    ]
  : ['Redis memory: not measured in this run (redis-server or the build\'s ./redis entry point missing).'];

const markdown = [
  `In one process (\`--expose-gc\`), the module's default registry (\`MemorySessionRegistry\`, what it builds without a \`backend\`) and,`,
  'side by side, the cache-manager registry (`cacheManagerBackend(createCache())`, an in-memory Keyv) filled with 10k, 100k and 1M sessions',
  '(a record each: app session id, `sid`, `sub`, indexed by `sid` and `sub`), all alive together',
  `(${num(totalRegistered)} sessions in each); then a \`RevocationStore\` per case with the given number of \`sid\` revocations`,
  '(half of them, at most a tenth of the sessions, of registered sessions; the rest of sessions the app never saw) plus 1% as many user',
  `watermarks. \`RevocationStore.check\` is what both guards run on every request. Each pass times ${num(LOOKUPS_PER_PASS)} checks per case`,
  `with claims as a verified token brings them (separate string copies), cycling over a fixed set of tokens in use, or over every registered session:`,
  `"not revoked" runs every check (sid, app session, user watermark, not-before), "revoked" stops at the sid. ${PASSES} passes after a`,
  'warm-up, all cases interleaved; medians. Heap per entry: `process.memoryUsage().heapUsed` after full GCs, before and after filling.',
  '',
  '| sessions | revocations | check ns, not revoked | check ns, revoked | check ns, not revoked, every session in use | check ns, revoked, every session in use | store heap per revocation |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...scenarios.map((s) => {
    const ns = (kind: Kind) => num(median(s.ns[kind]), 1);
    return `| ${num(s.sessions)} | ${num(s.revocations)} | ${ns('miss')} | ${ns('hit')} | ${ns('missAll')} | ${ns('hitAll')} | ${bytes(s.bytesPerRevocation)} |`;
  }),
  '',
  `Lookup time at ${num(largest)} ÷ at ${num(smallest)} sessions (median of per-pass ratios). The goal columns use the same number of tokens`,
  `in use at every size (${num(ACTIVE_TOKENS.miss)} not revoked, ${num(ACTIVE_TOKENS.hit)} revoked: what the store itself costs as sessions grow); the last two cycle through every`,
  'registered session, so at 1M the claims being checked are no longer in the CPU caches:',
  '',
  `| revocations | not revoked | revoked | not revoked, every session in use | revoked, every session in use |`,
  '| --- | --- | --- | --- | --- |',
  ...flatRows,
  '',
  `The registries side by side (heap per session after full GCs; registration µs, one at a time; default registry lookups: \`findBySid\` +`,
  `\`findByAdapterSessionId\`, awaited, over the same ${num(REGISTRY_ACTIVE.length)} sessions at every size, ${num(REGISTRY_LOOKUPS_PER_PASS)} per pass, median):`,
  '',
  '| sessions | default: heap per session | cache-manager: heap per session | cache-manager ÷ default | default: registration µs | cache-manager: registration µs | default: lookup pair ns |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...registries.map(
    (r) =>
      `| ${num(r.sessions)} | **${bytes(r.bytesPerSession)}** | ${bytes(r.cacheManager.bytesPerSession)} | ${ratio(r.cacheManager.bytesPerSession / r.bytesPerSession)} | ${r.microsPerRegister.toFixed(2)} | ${r.cacheManager.microsPerRegister.toFixed(1)} | ${num(median(r.lookupNs), 0)} |`,
  ),
  '',
  `Default registry lookups at ${num(largest)} ÷ at ${num(smallest)} sessions: **${ratio(registryGrowth)}**. Registration for a user who already holds 1,000`,
  `sessions (the \`maxSessionsPerUser\` cap, so each one also drops the oldest) ÷ registration for a new user, median of rounds of 20,000:`,
  `default **${ratio(crowdedRatio)}** (${perUser.memory.crowded.toFixed(2)} vs ${perUser.memory.single.toFixed(2)} µs), cache-manager ${ratio(perUser.cacheManager.crowded / perUser.cacheManager.single)}`,
  `(${perUser.cacheManager.crowded.toFixed(1)} vs ${perUser.cacheManager.single.toFixed(1)} µs). Worst sizes: default ${bytes(worstBytes)}, cache-manager ${bytes(worstPeer)} per session.`,
  '',
  ...REGISTRY_LOOKUP_NOTE,
  '',
  `Where a session's heap goes in the default registry (two heap snapshots around registering ${num(BREAKDOWN_SESSIONS)} sessions, bytes per session):`,
  '',
  '| kind of object | bytes per session |',
  '| --- | --- |',
  ...breakdown.kinds.slice(0, 10).map((row) => `| ${row.kind} | ${num(row.bytes)} |`),
  `| total (all kinds) | ${num(breakdown.kinds.reduce((sum, row) => sum + row.bytes, 0))} |`,
  '',
  ...MEMORY_NOTE,
  '',
  ...LOOKUP_NOTE,
  '',
  ...redisMarkdown,
].join('\n');

const report = newReport({ name: 'revocation-scale', order: 3, title: 'Revocation check at scale', command: 'npm run bench:revocation-scale', goals, markdown }, machine);
saveReport(report);
printReport(report);
