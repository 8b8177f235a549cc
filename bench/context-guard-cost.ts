/**
 * Benchmark 10: what the bearer guard costs in the other execution contexts (issue 16: "a GraphQL
 * query and a WebSocket message through the guard vs without it"). Like benchmark 1, the same
 * operation with and without KeycloakBearerGuard in the same app, memory registry:
 * - GraphQL: a query POSTed to `/graphql` (Apollo on Express, Mercurius on Fastify), driven by
 *   autocannon, a Bearer token rotated over a pool of Keycloak-shaped tokens;
 * - WebSocket: a message to a gateway handler (`ws`, socket.io) on connections admitted at the
 *   handshake, each with its own token, request/answer in a closed loop on every connection.
 * Each also with a guard that allows without looking: the floor of any guard in that context.
 */
import { corePlan, describeCorePlan, pinToCore } from './support/cpu-pinning.js';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { keycloakAccessToken } from '../test/support/keycloak-access-token.js';
import { LIBRARY_AREA, profileDiffMarkdown } from './support/cpu-profile.js';
import { profileServer } from './support/cpu-profile-run.js';
import { addedCostVerdict } from './support/added-cost.js';
import { buildLibraryAt } from './support/baseline-build.js';
import { CONNECTIONS, GOAL, OTHER_REVOCATIONS, ROUND_WARMUP_SECONDS, SECONDS, TOKENS, WARMUP_SECONDS, WINDOW_MILLIS } from './support/guard-bench-settings.js';
import { contextGuardBreakdown, GUARD_CONTEXTS, type GuardContext } from './support/in-process.js';
import { interleavedLoad, interleavedSocketLoad, postRequests, roundPlan, type InterleavedLoadResult } from './support/interleaved-load.js';
import { load } from './support/load.js';
import { Callgrind, programInstructions } from './support/callgrind.js';
import { ChildServer, coresUsed, cpuMicros, stopAll } from './support/processes.js';
import { CLIENT_ID, inBatches, startRealm } from './support/realm.js';
import { describeMachine, isQuick, newReport, printReport, roundsOf, saveReport, type Goal } from './support/report.js';
import { openSocket, socketLoad, type BenchSocket, type SocketAdapterName } from './support/socket-load.js';
import { addedPerRound, median, num, percentile, ratio, roundOrder, sleep } from './support/stats.js';

const quick = isQuick();
/**
 * `--instructions`: the servers run under valgrind's callgrind and each measurement counts the
 * instructions per operation (bench/support/callgrind.ts); written as section 12, not 10.
 */
const INSTRUCTIONS = process.argv.includes('--instructions');
const callgrind = INSTRUCTIONS ? new Callgrind() : undefined;
if (INSTRUCTIONS && Callgrind.unavailable() !== undefined) {
  console.log(`context-guard-cost --instructions not run: ${Callgrind.unavailable()}`);
  process.exit(0);
}
const ROUNDS = INSTRUCTIONS ? roundsOf(3) : roundsOf(10);
/** Under callgrind the servers run about 50 times slower: longer measurements, longer warm-up. */
const MEASURE_SECONDS = INSTRUCTIONS ? 5 * SECONDS : SECONDS;
const WARMUP = INSTRUCTIONS ? 10 * WARMUP_SECONDS : WARMUP_SECONDS;
/** Connections (HTTP for GraphQL, sockets for WebSocket): few under callgrind, where a queue of 50 slow answers times out. */
const OPEN_CONNECTIONS = INSTRUCTIONS ? 8 : CONNECTIONS;
// CONNECTIONS: autocannon's HTTP connections (GraphQL), or the open WebSocket connections.
/** The gateway's path (`ws`) or namespace (socket.io), as bench/servers/gateway-app.ts declares it. */
const GATEWAY = 'bench';

type Operation = 'open' | 'allowAll' | 'guarded';
const OPERATIONS: Operation[] = ['open', 'allowAll', 'guarded'];

interface Target {
  label: string;
  context: 'GraphQL' | 'WebSocket';
  script: 'graphql-app.js' | 'gateway-app.js';
  /** GraphQL: the driver; WebSocket: the adapter. */
  driver?: 'apollo-express' | 'mercurius-fastify';
  adapter?: SocketAdapterName;
  operations: Operation[];
  /** The same server on another build of the library (`--baseline`): the "before", not judged. */
  before?: { of: Target; dir: string };
}

const ALL_TARGETS: Target[] = [
  { label: 'GraphQL query, Apollo on Express', context: 'GraphQL', script: 'graphql-app.js', driver: 'apollo-express', operations: OPERATIONS },
  { label: 'GraphQL query, Mercurius on Fastify', context: 'GraphQL', script: 'graphql-app.js', driver: 'mercurius-fastify', operations: OPERATIONS },
  { label: 'WebSocket message, ws', context: 'WebSocket', script: 'gateway-app.js', adapter: 'ws', operations: OPERATIONS },
  { label: 'WebSocket message, socket.io', context: 'WebSocket', script: 'gateway-app.js', adapter: 'socket.io', operations: OPERATIONS },
];
/**
 * `--only=<text>`: a diagnosis of the targets whose label contains it (`--only=Mercurius`); it
 * prints, and leaves RESULTS.md alone.
 */
const ONLY = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const TARGETS = ONLY === undefined ? ALL_TARGETS : ALL_TARGETS.filter((target) => target.label.includes(ONLY));

/**
 * `--baseline=<git ref>`: each server also on the library as built at that ref (the "before" of
 * a change), measured in the same rounds, its guarded and open operations only.
 */
const BASELINE_REF = process.argv.find((arg) => arg.startsWith('--baseline='))?.slice('--baseline='.length);
const baseline = BASELINE_REF === undefined ? undefined : { ref: BASELINE_REF, ...buildLibraryAt(BASELINE_REF) };
const BEFORE: Target[] =
  baseline === undefined
    ? []
    : TARGETS.map((of) => ({ ...of, label: `${of.label}, before (${baseline.ref} ${baseline.commit.slice(0, 7)})`, operations: ['open', 'guarded'], before: { of, dir: baseline.dir } }));
/** Every server measured: the current build's, then the baseline's. */
const ALL: Target[] = [...TARGETS, ...BEFORE];

/** One target's measurements, per operation, a sample per round. */
interface Entry {
  samples: Record<Operation, Sample[]>;
}

interface Sample {
  /** Operations answered. */
  ok: number;
  /** Operations answered per second. */
  rate: number;
  p99: number;
  /** Server CPU time per operation, µs (all threads): what an operation costs, however busy the machine. */
  cpuPerOp: number;
  /**
   * Of which in the kernel (system time): the sockets' reads and writes, on loopback also
   * delivering to the client. Not split per operation in interleaved rounds.
   */
  systemPerOp?: number;
  cores: number;
  generatorCores: number;
  /** `--instructions`: per operation, outside V8's collector and compilers, and in the collector. */
  program?: number;
  collector?: number;
}

const machine = describeMachine();
const cores = corePlan();
if (cores !== undefined) pinToCore(process.pid, cores.generator);
const { server: realm, signer } = await startRealm();
const servers: ChildServer[] = [realm];
const sockets = new Map<string, BenchSocket[]>();

try {
  const running = new Map<string, ChildServer>();
  for (const target of ALL) {
    const config = { ...(target.driver !== undefined ? { driver: target.driver } : { adapter: target.adapter }), issuer: signer.issuer, clientId: CLIENT_ID };
    const server = await ChildServer.start(target.label, target.script, config, [], target.before === undefined ? {} : { BENCH_LIBRARY: target.before.dir }, callgrind?.launcher());
    if (cores !== undefined && server.pid !== undefined) pinToCore(server.pid, cores.servers);
    servers.push(server);
    running.set(target.label, server);
    await server.call('revokeOthers', OTHER_REVOCATIONS);
  }

  // Keycloak-shaped access tokens (aud "account", azp the client, sid, typ Bearer), valid for the whole run.
  const iat = Math.floor(Date.now() / 1000);
  const tokens = await inBatches(TOKENS, () => keycloakAccessToken(signer, { clientId: CLIENT_ID, sub: randomUUID(), sid: randomUUID(), iat, exp: iat + 3600 }));
  const headerValues = tokens.map((token) => `Bearer ${token}`);

  // The WebSocket connections, opened once (their handshakes are not measured), each with its own session.
  for (const target of ALL.filter((t) => t.context === 'WebSocket')) {
    const server = running.get(target.label)!;
    const opened = await Promise.all(tokens.slice(0, OPEN_CONNECTIONS).map((token) => openSocket(target.adapter!, server.url, GATEWAY, token)));
    sockets.set(target.label, opened);
    // Admission finishes after the client sees the connection open (the gateway's handleConnection is async).
    let registered = 0;
    for (let tries = 0; tries < 100 && registered !== OPEN_CONNECTIONS; tries++) {
      if (tries > 0) await sleep(50);
      registered = await server.call<number>('liveConnections');
    }
    if (registered !== OPEN_CONNECTIONS) throw new Error(`${target.label}: ${registered} of ${OPEN_CONNECTIONS} connections admitted at the handshake`);
  }

  /** What follows the JSON of an answer, per driver (Apollo ends it with a newline). */
  const answerEnding = new Map<string, string>();
  /** The exact answer of each GraphQL operation, checked on every response. */
  const graphqlAnswer = (target: Target, operation: Operation) => `${JSON.stringify({ data: { [operation]: 'ok' } })}${answerEnding.get(target.label) ?? ''}`;
  for (const target of ALL.filter((t) => t.context === 'GraphQL')) {
    const response = await fetch(`${running.get(target.label)!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: headerValues[0]! },
      body: JSON.stringify({ query: '{ guarded }' }),
    });
    const text = await response.text();
    const json = graphqlAnswer(target, 'guarded');
    if (!text.startsWith(json) || text.slice(json.length).trim() !== '') throw new Error(`${target.label}: unexpected answer ${JSON.stringify(text)}`);
    answerEnding.set(target.label, text.slice(json.length));
  }

  async function drive(target: Target, operation: Operation, seconds: number): Promise<{ ok: number; rate: number; p99: number; generatorCores: number }> {
    const server = running.get(target.label)!;
    if (target.context === 'WebSocket') {
      const result = await socketLoad(sockets.get(target.label)!, operation, seconds);
      return { ok: result.ok, rate: result.mps, p99: result.p99, generatorCores: result.generatorCores };
    }
    const result = await load({
      url: `${server.url}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ ${operation} }` }),
      expectBody: graphqlAnswer(target, operation),
      rotate: { header: { name: 'authorization', values: headerValues } },
      connections: OPEN_CONNECTIONS,
      duration: seconds,
    });
    if (result.non2xx > 0 || result.errors > 0 || result.mismatches > 0) {
      throw new Error(`${target.label} ${operation}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.mismatches} answers other than ${JSON.stringify(graphqlAnswer(target, operation))}`);
    }
    return { ok: result.ok, rate: result.rps, p99: result.p99, generatorCores: result.generatorCores };
  }

  async function measure(target: Target, operation: Operation, seconds: number): Promise<Sample> {
    const server = running.get(target.label)!;
    const before = await server.usage();
    callgrind?.reset(server.pid!);
    const result = await drive(target, operation, seconds);
    const count = callgrind?.instructions(server.pid!);
    const after = await server.usage();
    // A refusal anywhere (a GraphQL error, a WebSocket `exception`) fails the run; the server's own count says so too.
    const refusals = await server.call<number>('refusals');
    if (refusals > 0) throw new Error(`${target.label} ${operation}: the guards refused ${refusals} operations`);
    const operations = result.ok || 1;
    return {
      ok: result.ok,
      rate: result.rate,
      p99: result.p99,
      cpuPerOp: cpuMicros(before, after) / operations,
      systemPerOp: (after.cpu.system - before.cpu.system) / operations,
      cores: coresUsed(before, after),
      generatorCores: result.generatorCores,
      ...(count === undefined ? {} : { program: programInstructions(count) / operations, collector: count.collector / operations }),
    };
  }

  /**
   * One timed round of a target: its operations interleaved window by window on the same
   * connections (support/interleaved-load.ts), each for `seconds` in all. GraphQL queries then
   * come from the lean generator, under which a Mercurius server spent more CPU per query than
   * under autocannon (support/load.ts): the same for the three operations of a round, so their
   * ratios compare like with like, but the absolute µs are not those of earlier runs.
   */
  async function measureInterleaved(target: Target, seconds: number): Promise<Map<Operation, Sample>> {
    const server = running.get(target.label)!;
    const plan = roundPlan(() => server.cpuTime(), seconds, WINDOW_MILLIS, ROUND_WARMUP_SECONDS);
    const header = { name: 'authorization', values: headerValues };
    const result: InterleavedLoadResult =
      target.context === 'WebSocket'
        ? await interleavedSocketLoad({ ...plan, sockets: sockets.get(target.label)!, events: target.operations })
        : await interleavedLoad({
            ...plan,
            origin: server.url,
            connections: OPEN_CONNECTIONS,
            routes: target.operations.map((operation) => ({
              requests: postRequests(`${server.url}/graphql`, JSON.stringify({ query: `{ ${operation} }` }), header),
              expectBody: graphqlAnswer(target, operation),
            })),
          });
    const refusals = await server.call<number>('refusals');
    if (refusals > 0) throw new Error(`${target.label}: the guards refused ${refusals} operations`);
    const samples = new Map<Operation, Sample>();
    target.operations.forEach((operation, i) => {
      const counts = result.routes[i]!;
      if (counts.failed > 0) throw new Error(`${target.label} ${operation}: ${counts.failed} answers other than ${target.context === 'GraphQL' ? JSON.stringify(graphqlAnswer(target, operation)) : `"${operation}"`}, or errors`);
      samples.set(operation, {
        ok: counts.ok,
        rate: counts.ok / counts.seconds,
        p99: counts.p99,
        cpuPerOp: counts.serverCpu / counts.ok,
        cores: counts.serverCpu / 1e6 / counts.seconds,
        generatorCores: result.generatorCores,
      });
    });
    return samples;
  }

  console.log('warming up...');
  for (const target of ALL) for (const operation of target.operations) await measure(target, operation, WARMUP);

  const entries = new Map<string, Entry>(ALL.map((t) => [t.label, { samples: { open: [], allowAll: [], guarded: [] } }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of roundOrder(ALL, round)) {
      const entry = entries.get(target.label)!;
      const log = (operation: Operation, sample: Sample) =>
        console.log(
          `round ${round + 1}/${ROUNDS} ${target.label} ${operation}: ${num(sample.rate)} op/s (p99 ${num(sample.p99, 1)} ms, ${num(sample.cpuPerOp, 1)} µs CPU/op${sample.systemPerOp === undefined ? '' : ` of which ${num(sample.systemPerOp, 1)} system`}, server ${sample.cores.toFixed(2)} cores, generator ${sample.generatorCores.toFixed(2)} cores)`,
        );
      if (!INSTRUCTIONS) {
        for (const [operation, sample] of await measureInterleaved(target, MEASURE_SECONDS)) {
          entry.samples[operation].push(sample);
          log(operation, sample);
        }
        continue;
      }
      // Counted under callgrind, one operation at a time: the counter is read per measurement.
      const order = roundOrder(target.operations, round);
      await measure(target, order[0]!, ROUND_WARMUP_SECONDS);
      for (const operation of order) {
        const sample = await measure(target, operation, MEASURE_SECONDS);
        entry.samples[operation].push(sample);
        console.log(`  ${num(sample.program!)} instructions per operation outside the collector and compilers (collector ${num(sample.collector!)})`);
        log(operation, sample);
      }
    }
  }

  if (INSTRUCTIONS) saveInstructionsReport(TARGETS.map((target) => ({ target, samples: entries.get(target.label)!.samples })));
  else await saveTimedReport(entries, running, measure);
} finally {
  for (const opened of sockets.values()) {
    for (const socket of opened) {
      socket.onClose = () => undefined;
      socket.close();
    }
  }
  await stopAll(servers);
  // After the servers: callgrind writes a last dump as each exits.
  callgrind?.close();
}

/**
 * Section 10: the figures of the timed rounds judged against the goal, the in-process breakdown, CPU
 * profiles of the missed targets (of every target with `--profile`), and the before/after table with `--baseline`.
 */
async function saveTimedReport(
  entries: Map<string, Entry>,
  running: Map<string, ChildServer>,
  measure: (target: Target, operation: Operation, seconds: number) => Promise<Sample>,
): Promise<void> {
  const samplesOf = (target: Target, operation: Operation) => entries.get(target.label)!.samples[operation];
  const med = (target: Target, operation: Operation, pick: (s: Sample) => number) => median(samplesOf(target, operation).map(pick));
  /** Median of per-round ratios of two operations (measured in the same round). */
  const perRound = (target: Target, of: (a: Sample, b: Sample) => number, a: Operation, b: Operation) => {
    const other = samplesOf(target, b);
    return median(samplesOf(target, a).map((sample, i) => of(sample, other[i]!)));
  };
  /** Throughput, `a` ÷ `b`. */
  const rateRatio = (target: Target, a: Operation, b: Operation) => perRound(target, (x, y) => x.rate / y.rate, a, b);
  /** CPU per operation, `b` ÷ `a`: the throughput ratio a dedicated core would give. */
  const cpuRatio = (target: Target, a: Operation, b: Operation) => perRound(target, (x, y) => y.cpuPerOp / x.cpuPerOp, a, b);
  /** CPU µs per operation that `a` adds over `b`: median of per-round differences. */
  const addedCpu = (target: Target, a: Operation, b: Operation) => perRound(target, (x, y) => x.cpuPerOp - y.cpuPerOp, a, b);
  /** The same, with the middle half of the rounds' differences: how far the machine's noise moves it. */
  const addedCpuSpread = (target: Target, a: Operation, b: Operation) => {
    const cpu = (operation: Operation) => samplesOf(target, operation).map((sample) => sample.cpuPerOp);
    return addedPerRound(cpu(a), cpu(b), 1);
  };

  /**
   * Targets whose server got under half a core while measured (the load generator shares the
   * machine with it and with other work). The goal is still judged, on CPU µs per operation,
   * which waiting does not count; the figures say so, since contention moves them too.
   */
  const starved = TARGETS.filter((t) => med(t, 'open', (s) => s.cores) < 0.5).map((t) => t.label);

  const goals: Goal[] = TARGETS.map((target) => {
    const value = cpuRatio(target, 'guarded', 'open');
    return {
      goal: `guarded ≥ ${GOAL}× unguarded, memory registry, ${target.label} (server CPU µs per operation)`,
      measured: `${ratio(value, GOAL)} (${num(med(target, 'open', (s) => s.cpuPerOp), 1)} → ${num(med(target, 'guarded', (s) => s.cpuPerOp), 1)} µs); ${target.context === 'GraphQL' ? 'queries' : 'messages'}/s ${ratio(rateRatio(target, 'guarded', 'open'))}; the allow-all guard, the floor of any guard there: ${ratio(cpuRatio(target, 'allowAll', 'open'))} CPU${starved.includes(target.label) ? ` (the server got under half a core; load average ${machine.loadAverage.toFixed(1)} at the start)` : ''}`,
      met: value >= GOAL,
    };
  });

  console.log('timing the guard in process...');
  const inProcess = await contextGuardBreakdown(signer, [CONNECTIONS, TOKENS], quick ? 2 : 5);
  /** The in-process context like the target's, and the working set its traffic has: a token per connection, or the rotated pool. */
  const ownWork = (target: Target) => {
    const kind: GuardContext =
      target.driver === 'apollo-express' ? 'GraphQL, Apollo-shaped context' : target.driver === 'mercurius-fastify' ? 'GraphQL, Mercurius-shaped context' : target.adapter === 'ws' ? 'WebSocket, ws' : 'WebSocket, socket.io';
    return inProcess[kind][target.context === 'GraphQL' ? TOKENS : CONNECTIONS]!;
  };

  let profiles = '';
  const missed = TARGETS.filter((_, i) => goals[i]!.met === false);
  const profiled = process.argv.includes('--profile') ? TARGETS : missed;
  for (const target of profiled) {
    const server = running.get(target.label)!;
    console.log(`profiling ${target.label}, allowAll then guarded...`);
    const profile = async (operation: Operation) => {
      let operations = 0;
      const summary = await profileServer(server, async () => {
        operations = (await measure(target, operation, SECONDS)).ok;
      });
      return { summary, operations };
    };
    const floor = await profile('allowAll');
    const guarded = await profile('guarded');
    profiles += `\n\n${profileDiffMarkdown(floor, guarded, LIBRARY_AREA, `CPU profiles of ${target.label}, \`allowAll\` then \`guarded\`, ${SECONDS} s each`)}`;
  }

  const rows = TARGETS.map((target) => {
    const cpu = (operation: Operation) => num(med(target, operation, (s) => s.cpuPerOp), 1);
    const rate = (operation: Operation) => num(med(target, operation, (s) => s.rate));
    return [
      target.label,
      `${rate('open')} / ${rate('allowAll')} / ${rate('guarded')}`,
      ratio(rateRatio(target, 'guarded', 'open')),
      `${cpu('open')} / ${cpu('allowAll')} / ${cpu('guarded')}`,
      `**${ratio(cpuRatio(target, 'guarded', 'open'))}**`,
      ratio(cpuRatio(target, 'allowAll', 'open')),
      ratio(cpuRatio(target, 'guarded', 'allowAll')),
      `${num(med(target, 'open', (s) => s.p99), 1)} / ${num(med(target, 'guarded', (s) => s.p99), 1)}`,
      `${med(target, 'open', (s) => s.cores).toFixed(2)} / ${med(target, 'guarded', (s) => s.cores).toFixed(2)}`,
      `${med(target, 'open', (s) => s.generatorCores).toFixed(2)} / ${med(target, 'guarded', (s) => s.generatorCores).toFixed(2)}`,
    ].join(' | ');
  });
  const added = TARGETS.map((target) => {
    const open = med(target, 'open', (s) => s.cpuPerOp);
    const overFloor = addedCpu(target, 'guarded', 'allowAll');
    return `| ${target.label} | ${num(open, 1)} | ${num(open / GOAL - open, 1)} | ${addedCpuSpread(target, 'allowAll', 'open')} | ${addedCpuSpread(target, 'guarded', 'open')} | ${num(overFloor, 1)} | ${num(ownWork(target), 2)} | ${num(overFloor - ownWork(target), 1)} |`;
  });
  const verdicts = TARGETS.map((target) => {
    const other = samplesOf(target, 'open');
    const differences = samplesOf(target, 'guarded').map((sample, i) => sample.cpuPerOp - other[i]!.cpuPerOp);
    return addedCostVerdict({
      label: target.label,
      ratio: cpuRatio(target, 'guarded', 'open'),
      goal: GOAL,
      open: med(target, 'open', (s) => s.cpuPerOp),
      added: { median: median(differences), q1: percentile(differences, 25), q3: percentile(differences, 75) },
      floor: addedCpu(target, 'allowAll', 'open'),
      ownWork: ownWork(target),
    });
  });
  const inProcessRows = GUARD_CONTEXTS.map((kind) => `| ${kind} | ${num(inProcess[kind][CONNECTIONS]!, 2)} | ${num(inProcess[kind][TOKENS]!, 2)} |`);

  const loadAtEnd = loadavg()[0] ?? 0;
  const markdown = [
    `Load average (1 min) ${machine.loadAverage.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end, on ${machine.cpus} cores shared with other work.`,
    `Cores: ${describeCorePlan(cores)}.`,
    '',
    'The same operation in the same app with and without `KeycloakBearerGuard`, memory registry, servers in their own processes on the',
    'compiled library, as in section 1:',
    '',
    `- GraphQL: \`POST /graphql\` with \`{ open }\`, \`{ allowAll }\` or \`{ guarded }\`, three fields of one schema whose resolvers all return \`"ok"\`;`,
    `  ${CONNECTIONS} keep-alive connections (bench/support/interleaved-load.ts), every request with \`Authorization: Bearer\` and one of ${num(TOKENS)} Keycloak-shaped access tokens`,
    '  (distinct `sid`/`sub`, RS256), rotated; every answer must be exactly `{"data":{"<field>":"ok"}}` (a GraphQL error fails the run).',
    '  Under this generator the GraphQL servers spend more CPU per query than under autocannon, which earlier runs used (bench/support/load.ts),',
    '  alike for the three operations: the ratios compare, the absolute µs do not with those runs.',
    `- WebSocket: ${CONNECTIONS} connections to one gateway, each admitted at its handshake by \`KeycloakBearerGuard.admitConnection\` with its own`,
    '  token (`ws`: the `Authorization` header of the upgrade; socket.io: `auth.token`); on every connection a closed loop of messages',
    '  `open`, `allowAll` or `guarded` (handlers that answer an event of the same name), one in flight per connection; an `exception`',
    '  event (a refusal) or a closed connection fails the run. The guard checks every `guarded` message against the handshake\'s token.',
    `- \`allowAll\` has a guard that returns \`true\` without looking at the call: what any guard costs in that context's Nest pipeline.`,
    `- ${num(OTHER_REVOCATIONS)} other sessions revoked in each app beforehand. ${WARMUP_SECONDS} s warm-up per operation, then ${ROUNDS} rounds, targets alternated.`,
    '  `bearer.cacheMaxAge` is 24 hours in the apps (support/library.ts): the steady state over the whole run.',
    `  In a round, each server is loaded ${ROUND_WARMUP_SECONDS} s unmeasured (an idle server comes back slower), then its three operations take turns`,
    `  in windows of ${WINDOW_MILLIS} ms on the same connections, ${SECONDS} s per operation in all, the server's CPU time read at every switch (a slow`,
    '  second of the shared machine then falls on every operation alike, where 3 s measurements one after the other, the method',
    '  before, let it decide a ratio). Ratios are medians of per-round ratios. The server also counts its refusals after every round:',
    '  any fails the run.',
    '',
    'The goal is judged on server CPU µs per operation (all threads of the server process, from its `process.cpuUsage()`): unguarded ÷',
    'guarded CPU is the throughput ratio a dedicated core would give, and it is far less moved than operations/s by the other work on',
    'this shared 2-core machine, where the load generator (this process, or the WebSocket clients) competes with the server.',
    '',
    '| target | op/s open / allow-all / guarded | guarded ÷ open op/s | server CPU µs/op open / allow-all / guarded | open ÷ guarded CPU (goal) | open ÷ allow-all CPU | allow-all ÷ guarded CPU | p99 ms open / guarded | server cores open / guarded | generator cores open / guarded |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    ...(starved.length > 0
      ? [
          '',
          `**Loaded machine**: the load average was ${machine.loadAverage.toFixed(1)} on ${machine.cpus} cores at the start, and the server of ${starved.join(', ')}`,
          'got under half a core while it was measured (column "server cores"). The goals are judged all the same, on CPU µs per operation,',
          'which time spent waiting for a core does not count; but contention (caches shared with other processes) moves those too: the',
          'spread of the per-round differences below says by how much.',
        ]
      : []),
    '',
    '### Where the guard\'s time goes',
    '',
    'Server CPU per operation (µs): unguarded; what the goal allows a guard to add (5.3% of it); what each guard adds over no guard, the',
    'median of per-round differences (the operations interleaved in each round) with the middle half of those differences in brackets (the noise);',
    "the bearer guard over the allow-all guard, i.e. beyond Nest's guard pipeline; of that, the bearer guard's own work as timed in",
    'process (`canActivate` on a context like the target\'s, no network or framework around it, same working set: a token per connection',
    `for a WebSocket, the pool of ${num(TOKENS)} for GraphQL); and the rest:`,
    '',
    "| target | open | allowed by the goal | added: allow-all guard | added: bearer guard | bearer over allow-all | of which the guard's own work in process | rest |",
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...added,
    '',
    `\`KeycloakBearerGuard.canActivate\` in process, µs per call (tokens verified before, ${num(OTHER_REVOCATIONS)} other sessions revoked, medians of`,
    `${quick ? 2 : 5} rounds), with ${CONNECTIONS} and with ${num(TOKENS)} distinct sessions taken in turn:`,
    '',
    `| context | ${CONNECTIONS} sessions | ${num(TOKENS)} sessions |`,
    '| --- | --- | --- |',
    ...inProcessRows,
    '',
    'How to read it. The allow-all guard is the floor: Nest runs a guard through `GuardsConsumer.tryActivate`, an async function awaited',
    'for every call (and, for a message or a resolver, one more async wrapper) with an `ExecutionContextHost` made per call; no guard costs',
    "less. The bearer guard's own work on a cached token (the table just above): find it in the verification cache (over HTTP, GraphQL queries included, by the",
    "whole header it was verified from, each hit comparing ~1 KB byte for byte; a WebSocket connection holds its token as verified, and only its expiry is rechecked), check the",
    '`sid`, `sub` and not-before against the revocation maps, and leave the claims on the carrier (request, GraphQL context, socket). With',
    `${num(TOKENS)} sessions in turn it costs more than with ${CONNECTIONS}: the cached tokens and the revocation maps no longer stay in the CPU's`,
    'caches between two calls of the same session. In the server, the framework\'s own request handling runs between two guarded calls, and',
    'other processes share the caches: the "rest" column is that same work done colder, plus the noise shown in brackets.',
    '',
    'Changed for this benchmark (issue 16), per WebSocket message: the guard scanned the ~1 KB token read from the handshake for RFC 6750',
    'characters on every message, called `switchToWs()` three times (three closures each) and read the `@KeepOpenAtLogout()` metadata',
    'through Reflector for the live-connection tracker. Now a token the verification cache holds is not scanned again (a hit passed a',
    "stricter check when it was verified, as on HTTP), the client is read as the call's first argument, and the tracker returns at once",
    'for a socket it has registered already, and for a GraphQL operation that is no subscription, before it reads any metadata.',
    '',
    'This run, target by target:',
    '',
    ...verdicts.map((verdict) => `- ${verdict}`),
    ...(baseline === undefined
      ? []
      : [
          '',
          `Before and after: the same servers on the library as built at \`${baseline.ref}\` (${baseline.commit.slice(0, 7)}), measured in the same rounds`,
          `(\`--baseline=${baseline.ref}\`), open and guarded only:`,
          '',
          '| target | open ÷ guarded CPU, before | after | bearer guard added, µs per operation, before | after |',
          '| --- | --- | --- | --- | --- |',
          ...BEFORE.map((before) => {
            const after = before.before!.of;
            return `| ${after.label} | ${ratio(cpuRatio(before, 'guarded', 'open'))} | ${ratio(cpuRatio(after, 'guarded', 'open'))} | ${num(addedCpu(before, 'guarded', 'open'), 1)} | ${num(addedCpu(after, 'guarded', 'open'), 1)} |`;
          }),
        ]),
    ...(profiles ? ['', profiles.trim()] : []),
  ].join('\n');

  const report = newReport({ name: 'context-guard-cost', order: 10, title: 'Guard cost in the other contexts (GraphQL, WebSocket)', command: 'npm run bench:context-guard-cost', goals, markdown }, machine);
  if (ONLY === undefined) saveReport(report);
  printReport(report);
}

/** Section 12: the instructions per operation of each target (`--instructions`). */
function saveInstructionsReport(measured: Array<{ target: Target; samples: Record<Operation, Sample[]> }>): void {
  const goals: Goal[] = [];
  const rows: string[] = [];
  for (const { target, samples } of measured) {
    const program = (operation: Operation) => samples[operation].map((sample) => sample.program!);
    const perRound = (operation: Operation) => median(program('open').map((open, i) => open / program(operation)[i]!));
    const added = (operation: Operation) => addedPerRound(program(operation), program('open'));
    const guarded = perRound('guarded');
    goals.push({
      goal: `guarded ≥ ${GOAL}× unguarded, memory registry, ${target.label}, counted in instructions per operation (callgrind; time is section 10)`,
      measured: `${ratio(guarded, GOAL)} outside the garbage collector (${num(median(program('open')))} → ${num(median(program('guarded')))} instructions); the allow-all guard ${ratio(perRound('allowAll'))}`,
      met: guarded >= GOAL,
    });
    const collector = OPERATIONS.map((operation) => num(median(samples[operation].map((sample) => sample.collector!)))).join(' / ');
    rows.push(`| ${target.label} | ${OPERATIONS.map((operation) => num(median(program(operation)))).join(' | ')} | ${added('allowAll')} | ${added('guarded')} | ${ratio(perRound('allowAll'))} | **${ratio(guarded)}** | ${collector} |`);
  }
  const markdown = [
    'The servers of section 10 run under valgrind\'s callgrind (bench/support/callgrind.ts, as in section 11): instructions per GraphQL',
    `query or WebSocket message, outside V8's garbage collector and compilers, for the operation without a guard, with the allow-all guard and`,
    `with KeycloakBearerGuard. ${OPEN_CONNECTIONS} connections, ${MEASURE_SECONDS} s per measurement after ${WARMUP} s of warm-up per operation, ${ROUNDS} rounds, operations alternated;`,
    'the same tokens and operations as section 10. Medians over rounds; "added" is the median of per-round differences to the',
    'operation without a guard; the ratios are medians of per-round ratios.',
    '',
    '| target | open | allow-all guard | guarded | added: allow-all (middle half) | added: guarded (middle half) | open ÷ allow-all | open ÷ guarded | collector open / allow-all / guarded |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  const report = newReport({ name: 'context-guard-instructions', order: 12, title: 'Guard cost in the other contexts, in instructions (callgrind)', command: 'npm run bench:context-guard-cost -- --instructions', goals, markdown }, machine);
  if (ONLY === undefined && BASELINE_REF === undefined) saveReport(report);
  printReport(report);
}
