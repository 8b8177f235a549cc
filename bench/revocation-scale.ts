/**
 * Benchmark 3: the revocation check at scale, in process (in-memory mode). With 10k, 100k
 * and 1M sessions registered in the default SessionRegistry (cache-manager, in memory) and
 * 10k / 100k sid revocations in the RevocationStore: the time of RevocationStore.check (what
 * the guards run on every request) for tokens that are not revoked (the full check) and for
 * revoked ones, and the heap each registered session and each revocation takes.
 *
 * Needs --expose-gc and a large heap; when started without them it re-runs itself with them.
 */
import { spawnSync } from 'node:child_process';
import { createCache } from 'cache-manager';
import type { Revocation, SessionRegistry, SubjectRevocation } from '../lib/index.js';
import { heapBreakdown } from './support/heap-breakdown.js';
import { lib, loadInternal } from './support/library.js';
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
const TTL_MS = 36_000_000;
const FLAT_GOAL = 1.2;
const BYTES_GOAL = 512;

// ---- deterministic, realistic ids: UUIDs for sid/sub, 32 characters for the app's session id.
function mix(i: number, salt: number): number {
  let x = Math.imul(i ^ Math.imul(salt, 0x27d4eb2d), 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  return x >>> 0;
}
const hex = (n: number, length: number) => n.toString(16).padStart(8, '0').slice(-length);
function uuid(i: number, salt: number): string {
  const a = mix(i, salt);
  const b = mix(i, salt + 1);
  const c = mix(i, salt + 2);
  return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 16, 3)}-a${hex(c, 3)}-${hex(c >>> 12, 4)}${hex(i, 8)}`;
}
const sidOf = (i: number) => uuid(i, 1);
const subOf = (i: number) => uuid(i, 7);
const adapterIdOf = (i: number) => `${hex(mix(i, 13), 8)}${hex(mix(i, 14), 8)}${hex(mix(i, 15), 8)}${hex(i, 8)}`;
/** Strings as a token's claims bring them: separate, flat copies (JSON.parse), not the registry's. */
const fresh = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** The default registry (cache-manager over in-memory Keyv), or the opt-in Map-based one. */
type RegistryKind = 'cache-manager' | 'memory';

async function fillRegistry(count: number, kind: RegistryKind = 'cache-manager'): Promise<{ registry: SessionRegistry; bytesPerSession: number; microsPerRegister: number }> {
  const before = heapUsed();
  const registry: SessionRegistry =
    kind === 'memory' ? new lib.MemorySessionRegistry() : new lib.CacheManagerSessionRegistry(createCache({ ttl: TTL_MS }));
  const issuedAt = Math.floor(Date.now() / 1000);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    // Flat strings, as production brings them (express-session ids, claims from JSON.parse),
    // not the rope strings the id generators above build from many pieces.
    await registry.register({ adapterSessionId: fresh(adapterIdOf(i)), sid: fresh(sidOf(i)), sub: fresh(subOf(i)), clientId: 'bench-app', issuedAt, expiresAt: issuedAt + TTL_MS / 1000 });
  }
  const microsPerRegister = ((performance.now() - started) * 1000) / count;
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

/** Why the registry misses the memory goal (from the breakdown above and a prototype), and what would fix it. */
const MEMORY_NOTE = [
  'The registry is cache-manager over an in-memory Keyv: every session is three cache entries (the record, the `sid` index,',
  'the `sub` index), each under a string key built with template literals (`keycloak-logout:session:a:…`, with Keyv\'s',
  '`keyv:` namespace in front), kept as concatenation nodes next to their flattened copies; each value is wrapped in',
  '`{ value, expires }` with its own expiry number, and each index is an array of record keys: the keys and the ids are',
  'stored several times over (about 560 B of strings per session in the breakdown above). The default stays on cache-manager because the registry must work unchanged on any Keyv store (Redis, ...);',
  'for one process with many sessions, `MemorySessionRegistry` (plain Maps keyed by the ids themselves: the record by app',
  'session id, `sid` → record, `sub` → record or set; the record\'s own expiry) is the compact choice, measured in the goals',
  'table above. The revocation store, which is what the guards read on every request, takes ~110-150 B per revoked session.',
];

/** What the "every session in use" columns show. */
const LOOKUP_NOTE = [
  'The check never touches the registry and does the same Map lookups whatever the number of sessions, so with the same',
  'tokens in use it stays flat. When every one of 1M sessions is in use in turn, each check reads claims that are in no CPU',
  'cache, and with 100k revocations also a part of the store\'s tables that is not: memory latency, up to ~0.2 µs per check,',
  'against the 25-180 µs a request costs (benchmark 1).',
];

const machine = describeMachine();

// 0. Where a registered session's bytes go: heap snapshots around filling a small registry.
console.log('heap breakdown of the registry (10,000 sessions)...');
const BREAKDOWN_SESSIONS = 10_000;
const breakdown = await heapBreakdown(BREAKDOWN_SESSIONS, () => fillRegistry(BREAKDOWN_SESSIONS));
if ((await breakdown.kept.registry.findBySid(sidOf(0))).length !== 1) throw new Error('registry lost a session');

// 1. Registries: bytes per session, time per registration. All stay alive, like in one big app.
const registries: Array<{ sessions: number; registry: SessionRegistry; bytesPerSession: number; microsPerRegister: number }> = [];
for (const sessions of SESSION_COUNTS) {
  console.log(`registering ${num(sessions)} sessions...`);
  const filled = await fillRegistry(sessions);
  registries.push({ sessions, ...filled });
  console.log(`  ${bytes(filled.bytesPerSession)} per session, ${filled.microsPerRegister.toFixed(1)} µs per registration`);
}
// The opt-in MemorySessionRegistry, same ids, at the largest size.
console.log(`registering ${num(SESSION_COUNTS.at(-1)!)} sessions in MemorySessionRegistry...`);
const compact = await fillRegistry(SESSION_COUNTS.at(-1)!, 'memory');
console.log(`  ${bytes(compact.bytesPerSession)} per session, ${compact.microsPerRegister.toFixed(1)} µs per registration`);

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
const worstRevocation = Math.max(...scenarios.map((s) => s.bytesPerRevocation));
goals.push({
  goal: `≤ ${BYTES_GOAL} bytes per tracked session, default registry`,
  measured: `registry ${bytes(worstBytes)} per session (worst size); revocation store ${bytes(worstRevocation)} per revoked session`,
  met: worstBytes <= BYTES_GOAL,
});
goals.push({
  goal: `≤ ${BYTES_GOAL} bytes per tracked session, \`MemorySessionRegistry\` (opt-in)`,
  measured: `registry ${bytes(compact.bytesPerSession)} per session at ${num(SESSION_COUNTS.at(-1)!)} sessions`,
  met: compact.bytesPerSession <= BYTES_GOAL,
});

const markdown = [
  `In one process (\`--expose-gc\`), the library's default in-memory registry (\`CacheManagerSessionRegistry\` on`,
  '`createCache()`) filled with 10k, 100k and 1M sessions (a record each: app session id, `sid`, `sub`, indexed by `sid` and `sub`),',
  `all alive together (${num(totalRegistered)} sessions); then a \`RevocationStore\` per case with the given number of \`sid\` revocations`,
  '(half of them, at most a tenth of the sessions, of registered sessions; the rest of sessions the app never saw) plus 1% as many user',
  `watermarks. \`RevocationStore.check\` is what both guards run on every request. Each pass times ${num(LOOKUPS_PER_PASS)} checks per case`,
  `with claims as a verified token brings them (separate string copies), cycling over a fixed set of tokens in use, or over every registered session:`,
  `"not revoked" runs every check (sid, app session, user watermark, not-before), "revoked" stops at the sid. ${PASSES} passes after a`,
  'warm-up, all cases interleaved; medians. Heap per entry: `process.memoryUsage().heapUsed` after full GCs, before and after filling.',
  '',
  '| sessions | revocations | check ns, not revoked | check ns, revoked | check ns, not revoked, every session in use | check ns, revoked, every session in use | store heap per revocation | registry heap per session | registration (µs) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...scenarios.map((s) => {
    const registry = registries.find((r) => r.sessions === s.sessions)!;
    const ns = (kind: Kind) => num(median(s.ns[kind]), 1);
    return `| ${num(s.sessions)} | ${num(s.revocations)} | ${ns('miss')} | ${ns('hit')} | ${ns('missAll')} | ${ns('hitAll')} | ${bytes(s.bytesPerRevocation)} | ${bytes(registry.bytesPerSession)} | ${registry.microsPerRegister.toFixed(1)} |`;
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
  `Where a registered session's heap goes (two heap snapshots around registering ${num(BREAKDOWN_SESSIONS)} sessions, bytes per session):`,
  '',
  '| kind of object | bytes per session |',
  '| --- | --- |',
  ...breakdown.kinds.slice(0, 10).map((row) => `| ${row.kind} | ${num(row.bytes)} |`),
  `| total (all kinds) | ${num(breakdown.kinds.reduce((sum, row) => sum + row.bytes, 0))} |`,
  '',
  ...MEMORY_NOTE,
  '',
  ...LOOKUP_NOTE,
].join('\n');

const report = newReport({ name: 'revocation-scale', order: 3, title: 'Revocation check at scale', command: 'npm run bench:revocation-scale', goals, markdown }, machine);
saveReport(report);
printReport(report);
