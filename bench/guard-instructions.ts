/**
 * Benchmark 11: what the bearer guard costs, counted in instructions. The app of benchmark 1
 * runs under valgrind's callgrind, which counts every instruction the server process executes
 * (all threads, garbage collection included). The same requests as benchmark 1 go to
 * `/api/open`, `/api/header-guard` and `/api/guarded` in turn. Counts do not move with the machine's load, so this settles what
 * the guard's own work costs, where benchmark 1's CPU seconds swing by more than the goal's
 * allowance between adjacent measurements. Cache misses are not counted (see section 1 for time).
 */
import { randomUUID } from 'node:crypto';
import { keycloakAccessToken } from '../test/support/keycloak-access-token.js';
import { Callgrind, programInstructions } from './support/callgrind.js';
import { GOAL, OTHER_REVOCATIONS, TOKENS } from './support/guard-bench-settings.js';
import { load } from './support/load.js';
import { ChildServer, stopAll } from './support/processes.js';
import { CLIENT_ID, inBatches, startRealm } from './support/realm.js';
import { describeMachine, isQuick, newReport, printReport, roundsOf, saveReport, type Goal } from './support/report.js';
import { addedPerRound, median, num, ratio, roundOrder } from './support/stats.js';

const quick = isQuick();
const ROUNDS = roundsOf(5);
/** Requests per measurement: a few seconds of callgrind each (Node runs about 50 times slower under it). */
const REQUESTS = { express: quick ? 300 : 2000, fastify: quick ? 600 : 4000 } as const;
/** Few connections: under callgrind the server is slow, and each connection keeps one request in flight. */
const CONNECTIONS = 8;
const ROUTES = ['open', 'header-guard', 'guarded'] as const;
type Route = (typeof ROUTES)[number];
type Adapter = keyof typeof REQUESTS;
/** Instructions per request: in all, in the garbage collector, and the rest less the compilers. */
interface PerRequest {
  total: number;
  collector: number;
  program: number;
}

const machine = describeMachine();
const unavailable = Callgrind.unavailable();
if (unavailable !== undefined) {
  console.log(`guard-instructions not run: ${unavailable}`);
  process.exit(0);
}

const { server: realm, signer } = await startRealm();
const servers: ChildServer[] = [realm];
const callgrind = new Callgrind();
try {
  const iat = Math.floor(Date.now() / 1000);
  const tokens = await inBatches(TOKENS, () => keycloakAccessToken(signer, { clientId: CLIENT_ID, sub: randomUUID(), sid: randomUUID(), iat, exp: iat + 7200 }));
  const headerValues = tokens.map((token) => `Bearer ${token}`);

  /** Per request of `route`, over `requests` requests. */
  async function measure(server: ChildServer, route: Route, requests: number): Promise<PerRequest> {
    callgrind.reset(server.pid!);
    const result = await load({ url: `${server.url}/api/${route}`, rotate: { header: { name: 'authorization', values: headerValues } }, connections: CONNECTIONS, amount: requests });
    const count = callgrind.instructions(server.pid!);
    if (result.ok !== requests) throw new Error(`/api/${route}: ${result.ok} of ${requests} answered 200 (${result.non2xx} non-2xx, ${result.errors} errors)`);
    return { total: count.total / requests, collector: count.collector / requests, program: programInstructions(count) / requests };
  }

  const results = new Map<Adapter, Record<Route, PerRequest[]>>();
  for (const adapter of Object.keys(REQUESTS) as Adapter[]) {
    console.log(`${adapter}: starting the app under callgrind (a minute or two)...`);
    const server = await ChildServer.start(`${adapter} under callgrind`, 'nest-app.js', { adapter, issuer: signer.issuer, clientId: CLIENT_ID, mode: 'memory' }, [], {}, callgrind.launcher());
    servers.push(server);
    await server.call('revokeOthers', OTHER_REVOCATIONS);
    const requests = REQUESTS[adapter];
    // Warm-up: every token verified and cached, the code optimised.
    for (const route of ROUTES) await measure(server, route, 2 * requests);
    const counts: Record<Route, PerRequest[]> = { open: [], 'header-guard': [], guarded: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const route of roundOrder([...ROUTES], round)) {
        const count = await measure(server, route, requests);
        counts[route].push(count);
        console.log(`round ${round + 1}/${ROUNDS} ${adapter} /api/${route}: ${num(count.program)} instructions per request outside the collector and compilers (collector ${num(count.collector)}, all ${num(count.total)})`);
      }
    }
    results.set(adapter, counts);
    await server.stop();
  }

  const label = (adapter: Adapter) => (adapter === 'express' ? 'Express' : 'Fastify');
  const pick = (counts: Record<Route, PerRequest[]>, route: Route, part: keyof PerRequest) => counts[route].map((count) => count[part]);
  /** Per round: open ÷ route (adjacent measurements), the throughput ratio if time followed instructions. */
  const perRound = (counts: Record<Route, PerRequest[]>, route: Route, part: keyof PerRequest = 'program') => counts.open.map((open, i) => open[part] / counts[route][i]![part]);
  const added = (counts: Record<Route, PerRequest[]>, route: Route) => addedPerRound(pick(counts, route, 'program'), pick(counts, 'open', 'program'));
  const goals: Goal[] = [];
  const rows: string[] = [];
  for (const [adapter, counts] of results) {
    const guardedRatio = median(perRound(counts, 'guarded'));
    const medianOf = (route: Route, part: keyof PerRequest) => num(median(pick(counts, route, part)));
    goals.push({
      goal: `guarded ≥ ${GOAL}× unguarded, memory registry, ${label(adapter)}, counted in instructions per request (callgrind; time is section 1)`,
      measured: `${ratio(guardedRatio, GOAL)} outside the garbage collector (${medianOf('open', 'program')} → ${medianOf('guarded', 'program')} instructions); all instructions ${ratio(median(perRound(counts, 'guarded', 'total')))}; the header-only guard ${ratio(median(perRound(counts, 'header-guard')))}`,
      met: guardedRatio >= GOAL,
    });
    rows.push(
      `| ${label(adapter)} | ${REQUESTS[adapter]} | ${ROUTES.map((route) => medianOf(route, 'program')).join(' | ')} | ${added(counts, 'header-guard')} | ${added(counts, 'guarded')} | ${ratio(median(perRound(counts, 'header-guard')))} | **${ratio(guardedRatio)}** | ${ROUTES.map((route) => medianOf(route, 'collector')).join(' / ')} | ${ratio(median(perRound(counts, 'guarded', 'total')))} |`,
    );
  }

  const markdown = [
    'The app of section 1 (memory registry, the same 2,000 Keycloak-shaped tokens rotated, 10,000 other sessions revoked) runs under',
    "valgrind's callgrind, which counts the instructions the server process executes, in every thread. The same requests go to the",
    `open, header-only and guarded routes in turn: ${CONNECTIONS} connections, a fixed number of requests per measurement after a warm-up of twice`,
    `that per route, ${ROUNDS} rounds, routes alternated. A count does not move with the load of this shared machine, where the CPU`,
    'seconds of section 1 differ by more than the goal allows between adjacent measurements. It leaves out what memory latency',
    'costs (cache misses), which section 1 includes.',
    '',
    "The main figure leaves out V8's garbage collector and its optimising compilers (their C++ functions, by name): a major",
    "collection's concurrent marking lands in one measurement or the next and adds 20-40% to it, and a function is optimised once.",
    'The collector is shown apart (a route that allocates more makes it run more), and so is the ratio over all instructions.',
    '(A full collection through `--expose-gc` before each measurement was tried, and doubled the counts that followed it.)',
    '',
    '| adapter | requests per measurement | open | header-only guard | guarded | added: header-only (middle half) | added: guarded (middle half) | open ÷ header-only | open ÷ guarded | collector open / header-only / guarded | open ÷ guarded, all instructions |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Instructions per request outside the collector and compilers, medians over rounds; "added" is the median of per-round',
    'differences to the open route; the ratios are medians of per-round ratios, the throughput a core would give if time',
    'followed instructions.',
  ].join('\n');
  const report = newReport({ name: 'guard-instructions', order: 11, title: 'Guard cost in instructions (callgrind)', command: 'npm run bench:guard-instructions', goals, markdown }, machine);
  saveReport(report);
  printReport(report);
} finally {
  await stopAll(servers);
  callgrind.close();
}
