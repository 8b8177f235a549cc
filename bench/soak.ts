/**
 * Load and soak: three app instances (separate processes) on one private redis-server, all on
 * 127.0.0.1, under a steady mix of logouts and guarded requests for a fixed time; then checks
 * that nothing was lost and that memory comes back to its bound once the revocations expire.
 *
 *   npm run bench:soak                            (60 s of traffic)
 *   npm run bench:soak -- --duration 300          (seconds of traffic, 10..3600)
 *   npm run bench:soak -- --quick                 (10 s of traffic: a smoke run)
 *   options: --connections 24 (guarded-request loops), --logout-rate 20 (logouts per second)
 *
 * Traffic: a pool of live sessions (a Keycloak access token each, registered in the shared
 * session registry as the login flow would), replaced as they are logged out or near their
 * expiry. Logouts at a steady rate to a random instance: back-channel logout tokens with `sid`
 * (70%), without `sid` (10%, a watermark on the user), and Keycloak `k_logout` naming the app
 * session (20%; half also name the `sid`). Guarded requests in closed loops, round-robin over
 * the instances: most with live tokens (must be 200), some with revoked ones (must be 401).
 * Every logout is verified on every instance half a second after it was answered.
 *
 * Afterwards: every revoked session whose token is still valid is tried on every instance; then
 * the soak waits (no traffic) until each instance's revocation store, the bus's list of known
 * revocations and the Redis log are empty again: revocations live `revocationTtl` (60 s, the
 * minimum) and the store prunes every 60 s, so this takes up to about two minutes.
 *
 * Everything it starts (redis-server, the realm, the instances) is killed when it ends, fails,
 * or is interrupted; every loop is bounded by the deadline, and the whole run by a watchdog.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createClient } from 'redis';
import { keycloak26LogoutToken } from '../test/support/keycloak-logout-tokens.js';
import { nowSeconds } from '../test/support/clock.js';
import { keycloakAccessToken } from '../test/support/keycloak-access-token.js';
import { keycloakLogoutAction } from '../test/support/keycloak-admin-actions.js';
import type { SoakInstanceConfig, SoakSession, SoakStats } from './servers/soak-instance.js';
import { ChildServer, stopAll } from './support/processes.js';
import { startRealm } from './support/realm.js';
import { redisModeUnavailable, startRedis } from './support/redis.js';
import { describeMachine, isQuick, newReport, printReport, saveReport, type Goal } from './support/report.js';
import { bytes, num, percentile, sleep } from './support/stats.js';

// ---- options ----------------------------------------------------------------------------
function option(name: string, fallback: number, min: number, maxValue: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < min || value > maxValue) throw new Error(`--${name} must be a number from ${min} to ${maxValue}`);
  return value;
}
const quick = isQuick();
const DURATION_S = option('duration', quick ? 10 : 60, 10, 3_600);
const CONNECTIONS = option('connections', 24, 1, 256);
const LOGOUT_RATE = option('logout-rate', 20, 1, 500);

const CLIENT = 'soak-app';
const INSTANCES = 3;
/** The library's minimum: short enough to watch every revocation expire. */
const REVOCATION_TTL_S = 60;
/** Shorter than revocationTtl minus the clock tolerance (5 s): a revocation always outlives its token. */
const TOKEN_LIFETIME_S = 50;
/** Sessions whose token has less left than this leave the pool (replaced), so no request meets an expiring token. */
const RETIRE_BEFORE_S = 12;
const LIVE_SESSIONS = 300;
/** Share of guarded requests that carry a revoked token. */
const REVOKED_SHARE = 0.15;
/** When a logout is first checked on every instance, after its answer (propagation is ~2 ms p99). */
const VERIFY_AFTER_MS = 500;
/** A revocation not refused everywhere this long after the logout answered counts as lost. */
const LOST_AFTER_MS = 5_000;
const MAX_LOGOUTS_IN_FLIGHT = 64;
/** The bench-only trim interval of the Redis log (default 60 s), so that the wait ends sooner. */
const TRIM_INTERVAL_MS = 10_000;
/** RevocationStore's fixed prune interval. */
const PRUNE_INTERVAL_MS = 60_000;
/** One-time logout-token ids live until max(exp = iat + 120, iat + maxAge) + tolerance. */
const LOGOUT_MAX_AGE_S = 60;
const JTI_LIFETIME_MS = (120 + 5) * 1000;
const SAMPLE_EVERY_MS = 1_000;
const KEY_PREFIX = 'soak:';

// ---- everything started is stopped, whatever happens ---------------------------------------
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`soak: ${signal}, stopping everything`);
    // 'exit' handlers (support/processes.ts, support/redis.ts) kill the children.
    process.exit(130);
  });
}
const WATCHDOG_MS = (DURATION_S + 600) * 1000;
setTimeout(() => {
  console.error(`soak: still running after ${WATCHDOG_MS / 1000} s, giving up`);
  process.exit(1);
}, WATCHDOG_MS).unref();

// ---- HTTP over keep-alive sockets to 127.0.0.1 only ----------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS + MAX_LOGOUTS_IN_FLIGHT * 2 });

interface Answer {
  status: number;
  body: string;
  ms: number;
}

function send(target: Instance, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request({ host: '127.0.0.1', port: target.port, method, path, headers, agent, timeout: 10_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text, ms: performance.now() - started }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
    request.end(body);
  });
}

// ---- state ------------------------------------------------------------------------------
interface Instance {
  name: string;
  server: ChildServer;
  port: number;
}

type LogoutKind = 'back-channel (sid)' | 'back-channel (sub only)' | 'k_logout';

interface Session {
  sid: string;
  sub: string;
  adapterSessionId: string;
  token: string;
  /** Epoch seconds. */
  exp: number;
  state: 'live' | 'revoking' | 'revoked' | 'failed' | 'retired';
  /** Position in `live` while live. */
  pos: number;
  kind?: LogoutKind;
  /** performance.now() when the logout was answered 200. */
  revokedAt?: number;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

const live: Session[] = [];
const revoked: Session[] = [];
/** Revoked sessions verified everywhere whose token is still valid: what guarded requests probe. */
const settled: Session[] = [];
const lost = new Map<Session, string>();

const counts = {
  guarded: 0,
  ok: 0,
  refusedRevoked: 0,
  /** A live token refused because its logout began while the request was in flight. */
  raced: 0,
  falseRefusals: 0,
  fiveXx: 0,
  transportErrors: 0,
  unexpected: 0,
  logouts: 0,
  logoutFailures: 0,
  logoutsSkipped: 0,
  /** Revocations not yet refused everywhere VERIFY_AFTER_MS after the logout, but refused before LOST_AFTER_MS. */
  late: 0,
  sweepChecks: 0,
};
const byKind = new Map<LogoutKind, number>();
const guardedLatency: number[] = [];
const logoutLatency: number[] = [];
const samples: string[] = [];
function remember(what: string): void {
  if (samples.length < 20) samples.push(what);
}

function addLive(session: Session): void {
  session.pos = live.length;
  live.push(session);
}
function removeLive(session: Session): void {
  const last = live.pop()!;
  if (last !== session) {
    live[session.pos] = last;
    last.pos = session.pos;
  }
  session.pos = -1;
}

// ---- start --------------------------------------------------------------------------------
const unavailable = await redisModeUnavailable();
if (unavailable !== undefined) throw new Error(`soak needs the Redis mode: ${unavailable}`);
const machine = describeMachine();
const redis = await startRedis();
const children: ChildServer[] = [];
const admin = createClient({ url: redis.url });
try {
  const { server: realmServer, signer } = await startRealm();
  children.push(realmServer);
  await admin.connect();
  const config: SoakInstanceConfig = {
    issuer: signer.issuer,
    clientId: CLIENT,
    redisUrl: redis.url,
    keyPrefix: KEY_PREFIX,
    revocationTtl: REVOCATION_TTL_S,
    sessionTtl: REVOCATION_TTL_S,
    logoutMaxAge: LOGOUT_MAX_AGE_S,
    trimInterval: TRIM_INTERVAL_MS,
  };
  const instances: Instance[] = await Promise.all(
    Array.from({ length: INSTANCES }, async (_, i) => {
      const server = await ChildServer.start(`instance-${i + 1}`, 'soak-instance.js', config, ['--expose-gc']);
      children.push(server);
      return { name: `instance-${i + 1}`, server, port: Number(new URL(server.url).port) };
    }),
  );

  let created = 0;
  async function newSession(): Promise<Session> {
    const sid = randomUUID();
    const sub = randomUUID();
    const adapterSessionId = randomUUID().replaceAll('-', '');
    const iat = nowSeconds();
    const exp = iat + TOKEN_LIFETIME_S;
    const token = await keycloakAccessToken(signer, { clientId: CLIENT, sub, sid, iat, exp });
    const record: SoakSession = { adapterSessionId, sid, sub, issuedAt: iat, expiresAt: iat + REVOCATION_TTL_S };
    // Recorded at one instance, found by any (the registry is in Redis), as after a login.
    await instances[created++ % INSTANCES]!.server.call('register', [record]);
    return { sid, sub, adapterSessionId, token, exp, state: 'live', pos: -1 };
  }

  const bearer = (target: Instance, token: string) => send(target, 'GET', '/api/me', { authorization: `Bearer ${token}` });

  interface Snapshot {
    stats: SoakStats[];
    redisMemory: number;
    redisKeys: number;
    streamLength: number;
  }
  async function redisFigures(): Promise<Omit<Snapshot, 'stats'>> {
    const info = await admin.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
    return { redisMemory: used, redisKeys: await admin.dbSize(), streamLength: await admin.xLen(`${KEY_PREFIX}revocations`) };
  }
  async function snapshot(): Promise<Snapshot> {
    const stats = await Promise.all(instances.map((instance) => instance.server.call<SoakStats>('stats')));
    return { stats, ...(await redisFigures()) };
  }
  /** Keys that must expire: everything but the log's epoch marker and the (possibly empty) log. */
  async function transientKeys(): Promise<number> {
    const permanent = await admin.exists([`${KEY_PREFIX}epoch`, `${KEY_PREFIX}revocations`]);
    return (await admin.dbSize()) - permanent;
  }
  const gcAll = () => Promise.all(instances.map((instance) => instance.server.call<NodeJS.MemoryUsage>('gc')));

  // ---- warm-up: the pool, every token seen by every instance (keys fetched, JIT warm) ------
  console.log(`soak: ${INSTANCES} instances, redis ${redis.url}, ${DURATION_S} s of traffic, ${CONNECTIONS} request loops, ${LOGOUT_RATE} logouts/s`);
  for (let i = 0; i < LIVE_SESSIONS; i += 16) {
    const batch = await Promise.all(Array.from({ length: Math.min(16, LIVE_SESSIONS - i) }, () => newSession()));
    batch.forEach(addLive);
  }
  for (const session of live) {
    for (const instance of instances) {
      const answer = await bearer(instance, session.token);
      if (answer.status !== 200) throw new Error(`warm-up: ${instance.name} answered ${answer.status} ${answer.body}`);
    }
  }
  const before = { memory: await gcAll(), ...(await snapshot()), transient: await transientKeys() };

  // ---- the run ------------------------------------------------------------------------------
  const peak = { rss: instances.map(() => 0), heap: instances.map(() => 0), store: instances.map(() => 0), known: instances.map(() => 0), redisMemory: 0, redisKeys: 0, streamLength: 0 };
  const timeline: Array<{ at: number; guarded: number; logouts: number; store: number; rss: number; heap: number }> = [];
  function notePeak(s: Pick<Snapshot, 'stats' | 'redisMemory' | 'redisKeys' | 'streamLength'>): void {
    s.stats.forEach((stats, i) => {
      peak.rss[i] = Math.max(peak.rss[i]!, stats.memory.rss);
      peak.heap[i] = Math.max(peak.heap[i]!, stats.memory.heapUsed);
      peak.store[i] = Math.max(peak.store[i]!, stats.store);
      peak.known[i] = Math.max(peak.known[i]!, stats.known);
    });
    peak.redisMemory = Math.max(peak.redisMemory, s.redisMemory);
    peak.redisKeys = Math.max(peak.redisKeys, s.redisKeys);
    peak.streamLength = Math.max(peak.streamLength, s.streamLength);
  }

  notePeak(before);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + DURATION_S * 1000;
  const running = () => performance.now() < deadline;
  const tasks = new Set<Promise<void>>();
  const track = (task: Promise<void>) => {
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
  };
  let staleSeen = 0;

  /** Confirms a logout on every instance; polls a lagging one until LOST_AFTER_MS. */
  async function verify(session: Session): Promise<void> {
    await sleep(VERIFY_AFTER_MS);
    let wasLate = false;
    for (const instance of instances) {
      for (;;) {
        const answer = await bearer(instance, session.token).catch(() => undefined);
        if (answer?.status === 401) break;
        if (answer !== undefined && answer.status >= 500) counts.fiveXx += 1;
        if (performance.now() - session.revokedAt! > LOST_AFTER_MS) {
          lost.set(session, `${instance.name} still answers ${answer?.status ?? 'nothing'} ${LOST_AFTER_MS} ms after the ${session.kind}`);
          return;
        }
        wasLate = true;
        await sleep(50);
      }
    }
    if (wasLate) counts.late += 1;
    if (session.exp - nowSeconds() > 3) settled.push(session);
  }

  async function logout(session: Session): Promise<void> {
    const roll = Math.random();
    const kind: LogoutKind = roll < 0.7 ? 'back-channel (sid)' : roll < 0.8 ? 'back-channel (sub only)' : 'k_logout';
    session.kind = kind;
    const target = pick(instances);
    let answer: Answer;
    try {
      if (kind === 'k_logout') {
        const action = await keycloakLogoutAction({
          realm: signer,
          clientId: CLIENT,
          adapterSessionIds: [session.adapterSessionId],
          keycloakSessionIds: Math.random() < 0.5 ? [session.sid] : null,
        });
        answer = await send(target, 'POST', '/auth/k_logout', { 'content-type': 'text/plain; charset=ISO-8859-1' }, action);
      } else {
        const token = await keycloak26LogoutToken({ realm: signer, clientId: CLIENT, sub: session.sub, ...(kind === 'back-channel (sid)' ? { sid: session.sid } : {}) });
        answer = await send(target, 'POST', '/auth/backchannel-logout', { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams({ logout_token: token }).toString());
      }
    } catch (error) {
      counts.transportErrors += 1;
      counts.logoutFailures += 1;
      session.state = 'failed';
      remember(`logout ${kind} at ${target.name}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    counts.logouts += 1;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    logoutLatency.push(answer.ms);
    if (answer.status !== 200) {
      if (answer.status >= 500) counts.fiveXx += 1;
      counts.logoutFailures += 1;
      session.state = 'failed';
      remember(`logout ${kind} at ${target.name}: ${answer.status} ${answer.body}`);
      return;
    }
    session.state = 'revoked';
    session.revokedAt = performance.now();
    revoked.push(session);
    await verify(session);
  }

  async function logoutLoop(): Promise<void> {
    const interval = 1000 / LOGOUT_RATE;
    for (let next = performance.now(); next < deadline; next += interval) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      if (tasks.size >= MAX_LOGOUTS_IN_FLIGHT || live.length === 0) {
        counts.logoutsSkipped += 1;
        continue;
      }
      const session = pick(live);
      removeLive(session);
      session.state = 'revoking';
      track(
        logout(session).catch((error: unknown) => {
          counts.logoutFailures += 1;
          remember(`logout: ${error instanceof Error ? error.message : String(error)}`);
        }),
      );
    }
  }

  /** Keeps the pool full: replaces sessions logged out or close to their expiry. */
  async function poolLoop(): Promise<void> {
    while (running()) {
      const soon = nowSeconds() + RETIRE_BEFORE_S;
      for (const session of [...live]) {
        if (session.exp <= soon) {
          removeLive(session);
          session.state = 'retired';
        }
      }
      for (let i = settled.length - 1; i >= 0; i -= 1) if (settled[i]!.exp - nowSeconds() <= 3) settled.splice(i, 1);
      const missing = LIVE_SESSIONS - live.length;
      if (missing > 0) (await Promise.all(Array.from({ length: Math.min(missing, 32) }, () => newSession()))).forEach(addLive);
      else await sleep(100);
    }
  }

  async function requestLoop(offset: number): Promise<void> {
    let turn = offset;
    while (running()) {
      const probeRevoked = settled.length > 0 && Math.random() < REVOKED_SHARE;
      const session = probeRevoked ? pick(settled) : live.length > 0 ? pick(live) : undefined;
      if (session === undefined) {
        await sleep(10);
        continue;
      }
      const target = instances[turn++ % INSTANCES]!;
      let answer: Answer;
      try {
        answer = await bearer(target, session.token);
      } catch (error) {
        counts.transportErrors += 1;
        remember(`GET /api/me at ${target.name}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      counts.guarded += 1;
      guardedLatency.push(answer.ms);
      if (answer.status >= 500) {
        counts.fiveXx += 1;
        remember(`GET /api/me at ${target.name}: ${answer.status} ${answer.body}`);
      } else if (probeRevoked) {
        if (answer.status === 401) counts.refusedRevoked += 1;
        else if (answer.status === 200) lost.set(session, `${target.name} accepted the token again after the ${session.kind} was verified everywhere`);
        else counts.unexpected += 1;
      } else if (answer.status === 200) {
        counts.ok += 1;
      } else if (answer.status === 401 && session.state !== 'live') {
        counts.raced += 1;
      } else if (answer.status === 401) {
        counts.falseRefusals += 1;
        remember(`GET /api/me at ${target.name} with a live token: ${answer.status} ${answer.body}`);
      } else {
        counts.unexpected += 1;
        remember(`GET /api/me at ${target.name}: ${answer.status} ${answer.body}`);
      }
    }
  }

  async function sampleLoop(until: () => boolean): Promise<void> {
    let lastGuarded = 0;
    let lastLogouts = 0;
    let lastAt = performance.now();
    while (until()) {
      await sleep(SAMPLE_EVERY_MS);
      const s = await snapshot();
      notePeak(s);
      if (s.stats.some((stats) => stats.stale)) staleSeen += 1;
      const at = performance.now();
      const seconds = (at - lastAt) / 1000;
      timeline.push({
        at: (at - started) / 1000,
        guarded: (counts.guarded - lastGuarded) / seconds,
        logouts: (counts.logouts - lastLogouts) / seconds,
        store: s.stats[0]!.store,
        rss: s.stats.reduce((sum, stats) => sum + stats.memory.rss, 0),
        heap: s.stats.reduce((sum, stats) => sum + stats.memory.heapUsed, 0),
      });
      lastGuarded = counts.guarded;
      lastLogouts = counts.logouts;
      lastAt = at;
    }
  }

  console.log('soak: traffic running');
  await Promise.all([logoutLoop(), poolLoop(), sampleLoop(running), ...Array.from({ length: CONNECTIONS }, (_, i) => requestLoop(i))]);
  const trafficSeconds = (performance.now() - started) / 1000;
  const generatorCpu = process.cpuUsage(cpuBefore);
  // Logouts still in flight finish (each is bounded by LOST_AFTER_MS after its answer).
  await Promise.all([...tasks]);
  const lastRevocation = Math.max(...revoked.map((session) => session.revokedAt!), started);

  // ---- sweep: every revoked session with a still-valid token, on every instance -----------
  console.log('soak: final sweep');
  const stillValid = revoked.filter((session) => session.exp - nowSeconds() > 1);
  const checks = stillValid.flatMap((session) => instances.map((instance) => ({ session, instance })));
  const liveChecks = live.filter((session) => session.exp - nowSeconds() > 3).flatMap((session) => instances.map((instance) => ({ session, instance })));
  let sweepFalseRefusals = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let check = checks.shift(); check !== undefined; check = checks.shift()) {
        const answer = await bearer(check.instance, check.session.token);
        counts.sweepChecks += 1;
        if (answer.status !== 401) lost.set(check.session, `${check.instance.name} answered ${answer.status} in the final sweep`);
      }
      for (let check = liveChecks.shift(); check !== undefined; check = liveChecks.shift()) {
        const answer = await bearer(check.instance, check.session.token);
        if (answer.status !== 200) sweepFalseRefusals += 1;
      }
    }),
  );

  // ---- expiry: no traffic; wait until the stores, the bus and Redis are back to their bound --
  const expiryDeadline = lastRevocation + Math.max(REVOCATION_TTL_S * 1000 + PRUNE_INTERVAL_MS, JTI_LIFETIME_MS) + 15_000;
  console.log(`soak: waiting up to ${Math.round((expiryDeadline - performance.now()) / 1000)} s for revocations to expire and be pruned`);
  /** Seconds after the last logout at which each part was first seen back at its bound. */
  const emptyAfter: { stores?: number; log?: number; keys?: number } = {};
  let last: Snapshot & { transient: number } = { ...(await snapshot()), transient: await transientKeys() };
  for (;;) {
    const since = (performance.now() - lastRevocation) / 1000;
    if (emptyAfter.stores === undefined && last.stats.every((stats) => stats.store === 0 && stats.known === 0)) emptyAfter.stores = since;
    if (emptyAfter.log === undefined && last.streamLength === 0) emptyAfter.log = since;
    if (emptyAfter.keys === undefined && last.transient === 0) emptyAfter.keys = since;
    const done = emptyAfter.stores !== undefined && emptyAfter.log !== undefined && emptyAfter.keys !== undefined;
    if (done || performance.now() > expiryDeadline) break;
    await sleep(2_000);
    last = { ...(await snapshot()), transient: await transientKeys() };
  }
  const drained = emptyAfter.stores !== undefined && emptyAfter.log !== undefined && emptyAfter.keys !== undefined;
  const sinceLast = (value: number | undefined) => (value === undefined ? 'not within the wait' : `${num(value)} s`);
  const after = { memory: await gcAll(), ...last };

  // ---- report -------------------------------------------------------------------------------
  const guardedRps = counts.guarded / trafficSeconds;
  const generatorCores = (generatorCpu.user + generatorCpu.system) / 1000 / (trafficSeconds * 1000);
  const p = (values: number[], q: number) => num(percentile(values, q), 1);
  const heapGrowth = instances.map((_, i) => after.memory[i]!.heapUsed - before.memory[i]!.heapUsed);
  const HEAP_ALLOWANCE = 16 * 1024 * 1024;
  // Entries stay until their expiry and go at the next prune; a k_logout adds two (adapter session and sid).
  const storeBound = Math.ceil(LOGOUT_RATE * (REVOCATION_TTL_S + PRUNE_INTERVAL_MS / 1000) * 1.2 * 1.1);
  const verified = revoked.length - lost.size;

  const goals: Goal[] = [
    { goal: 'zero 5xx and zero transport errors during the soak', measured: `${counts.fiveXx} 5xx, ${counts.transportErrors} transport errors`, met: counts.fiveXx === 0 && counts.transportErrors === 0 },
    {
      goal: 'zero lost revocations: every logout refused on every instance',
      measured: `${lost.size} lost of ${num(revoked.length)} (${num(counts.late)} refused late, after ${VERIFY_AFTER_MS} ms)`,
      met: lost.size === 0 && counts.logoutFailures === 0,
    },
    { goal: 'no valid token refused', measured: `${counts.falseRefusals + sweepFalseRefusals} refused (${num(counts.raced)} raced with their own logout, not counted)`, met: counts.falseRefusals + sweepFalseRefusals === 0 },
    {
      goal: 'revocation stores, known revocations, the Redis log and its keys empty again once the revocations expired',
      measured: drained
        ? `after the last logout: stores ${sinceLast(emptyAfter.stores)}, log ${sinceLast(emptyAfter.log)}, keys ${sinceLast(emptyAfter.keys)}`
        : `not within ${Math.round((expiryDeadline - lastRevocation) / 1000)} s (stores ${last.stats.map((stats) => stats.store).join('/')}, known ${last.stats.map((stats) => stats.known).join('/')}, log ${last.streamLength}, keys ${last.transient})`,
      met: drained,
    },
    {
      goal: 'revocation store within rate × (revocationTtl + prune interval) while logouts go on',
      measured: `peak ${peak.store.map((entries) => num(entries)).join(', ')} entries (bound ${num(storeBound)})`,
      met: peak.store.every((entries) => entries <= storeBound),
    },
    {
      goal: 'heap after GC back within 16 MiB of its pre-run size on every instance',
      measured: heapGrowth.map((growth) => `${growth >= 0 ? '+' : ''}${bytes(growth)}`).join(', '),
      met: heapGrowth.every((growth) => growth <= HEAP_ALLOWANCE),
    },
    { goal: 'throughput and latency of guarded requests under the mix (no numeric goal)', measured: `${num(guardedRps)} req/s, p50 ${p(guardedLatency, 50)} ms, p99 ${p(guardedLatency, 99)} ms`, met: null },
  ];

  const memoryRows = instances.map(
    (instance, i) =>
      `| ${instance.name} | ${bytes(before.memory[i]!.rss)} / ${bytes(peak.rss[i]!)} / ${bytes(after.memory[i]!.rss)} | ${bytes(before.memory[i]!.heapUsed)} / ${bytes(peak.heap[i]!)} / ${bytes(after.memory[i]!.heapUsed)} | ${before.stats[i]!.store} / ${num(peak.store[i]!)} / ${after.stats[i]!.store} | ${before.stats[i]!.known} / ${num(peak.known[i]!)} / ${after.stats[i]!.known} |`,
  );
  const every = Math.max(1, Math.round(timeline.length / 12));
  const timelineRows = timeline
    .filter((_, i) => i % every === every - 1 || i === timeline.length - 1)
    .map((t) => `| ${t.at.toFixed(0)} | ${num(t.guarded)} | ${num(t.logouts, 1)} | ${num(t.store)} | ${bytes(t.rss)} | ${bytes(t.heap)} |`);
  const kinds = [...byKind].map(([kind, count]) => `${kind} ${num(count)}`).join(', ');

  const markdown = [
    `${INSTANCES} instances of a Nest app (Express, the library from dist/ on the Redis backend; separate processes) on one private`,
    `redis-server, the fake realm in its own process, all on 127.0.0.1; the load generator is this process (${CONNECTIONS} closed`,
    `request loops, keep-alive). ${DURATION_S} s of traffic: ${LOGOUT_RATE} logouts/s to a random instance (${kinds}) and guarded`,
    `\`GET /api/me\` round-robin over the instances (${num((counts.refusedRevoked / counts.guarded) * 100, 1)}% of them with revoked tokens). A pool of ${LIVE_SESSIONS} live sessions`,
    `(access tokens living ${TOKEN_LIFETIME_S} s, each login registered in the Redis session registry) is refilled as sessions are`,
    `logged out or near expiry. \`revocationTtl\` ${REVOCATION_TTL_S} s (the minimum), \`sessionTtl\` ${REVOCATION_TTL_S} s, \`logoutToken.maxAge\` ${LOGOUT_MAX_AGE_S} s,`,
    `Redis log trimmed every ${TRIM_INTERVAL_MS / 1000} s (default 60 s); the revocation store prunes every 60 s.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| guarded requests | ${num(counts.guarded)} (${num(guardedRps)} req/s; ${num(counts.ok)} accepted, ${num(counts.refusedRevoked)} revoked tokens refused) |`,
    `| guarded latency p50 / p99 / max | ${p(guardedLatency, 50)} / ${p(guardedLatency, 99)} / ${p(guardedLatency, 100)} ms |`,
    `| logouts answered 200 | ${num(revoked.length)} (${num(revoked.length / trafficSeconds, 1)}/s; ${counts.logoutFailures} failed, ${counts.logoutsSkipped} skipped at the in-flight cap) |`,
    `| logout latency p50 / p99 / max | ${p(logoutLatency, 50)} / ${p(logoutLatency, 99)} / ${p(logoutLatency, 100)} ms |`,
    `| 5xx / transport errors / other unexpected statuses | ${counts.fiveXx} / ${counts.transportErrors} / ${counts.unexpected} |`,
    `| revocations verified on all ${INSTANCES} instances ${VERIFY_AFTER_MS} ms after the logout answered | ${num(verified - counts.late)} at once, ${num(counts.late)} later (before ${LOST_AFTER_MS / 1000} s) |`,
    `| lost revocations (accepted by any instance after that, in the run or in the final sweep) | ${lost.size} |`,
    `| final sweep: revoked tokens still valid × instances | ${num(counts.sweepChecks)} checks, all refused: ${lost.size === 0 ? 'yes' : 'no'} |`,
    `| live tokens refused (false refusals) | ${counts.falseRefusals + sweepFalseRefusals} (+${num(counts.raced)} in flight when their own logout began) |`,
    `| samples with a stale revocation view | ${staleSeen} |`,
    `| revocation stores and known revocations empty again, after the last logout | ${sinceLast(emptyAfter.stores)} (TTL ${REVOCATION_TTL_S} s + up to ${PRUNE_INTERVAL_MS / 1000} s to the next prune) |`,
    `| Redis log empty again | ${sinceLast(emptyAfter.log)} (TTL + up to ${TRIM_INTERVAL_MS / 1000} s to the next trim) |`,
    `| Redis session records, indexes and logout-token ids gone | ${sinceLast(emptyAfter.keys)} (ids live ${JTI_LIFETIME_MS / 1000} s: until \`exp\` = \`iat\` + 120 s, plus the tolerance) |`,
    `| Redis used memory before / peak / after | ${bytes(before.redisMemory)} / ${bytes(peak.redisMemory)} / ${bytes(after.redisMemory)} |`,
    `| Redis keys before / peak / after (log entries peak) | ${num(before.redisKeys)} / ${num(peak.redisKeys)} / ${num(after.redisKeys)} (${num(peak.streamLength)}) |`,
    `| load generator CPU | ${generatorCores.toFixed(2)} cores |`,
    '',
    'Per instance, before the run (after warm-up) / peak during the run / after the revocations expired (before and after: after a full GC):',
    '',
    '| instance | RSS | heap used | revocation store entries | bus known revocations |',
    '| --- | --- | --- | --- | --- |',
    ...memoryRows,
    '',
    `While logouts go on, a revocation store holds what the last \`revocationTtl\` revoked, plus what expired since the last prune:`,
    `at most about rate × (TTL + prune interval) × 1.2 (a \`k_logout\` adds two entries, an adapter session and its \`sid\`), ${num(storeBound)} here`,
    `with 10% slack. Heap left after the run is mostly the bearer guard's verified-token cache (\`bearer.cacheSize\`,`,
    'default 10,000 entries, evicted oldest first, not by expiry), which holds the tokens the run created; RSS is reported, not judged',
    '(V8 and the allocator keep freed pages).',
    '',
    'Timeline (all instances, sampled every second):',
    '',
    '| s | guarded req/s | logouts/s | store entries (instance 1) | RSS (sum) | heap used (sum) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...timelineRows,
    ...(samples.length > 0 ? ['', 'First unexpected answers:', '', '```', ...samples, '```'] : []),
  ].join('\n');

  const report = newReport({ name: 'soak', order: 6, title: 'Load and soak', command: 'npm run bench:soak', goals, markdown }, machine);
  saveReport(report);
  printReport(report);
  if (goals.some((goal) => goal.met === false)) process.exitCode = 1;
} finally {
  await admin.quit().catch(() => undefined);
  await stopAll(children);
  await redis.stop();
  agent.destroy();
}
