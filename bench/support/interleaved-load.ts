/**
 * Load that switches between routes (or operations) of one server every few hundred
 * milliseconds, on the same connections, and charges the server's CPU time to the route of each
 * window.
 *
 * Why: on a shared machine the CPU a request costs moves by tens of percent over seconds (other
 * tenants, frequency), so two routes measured one after the other for 3 s each differ by more
 * than a guard costs. Interleaved in short windows, both routes see the same slow periods, and
 * the ratio of their CPU per request keeps only what differs between them. Answers are counted
 * for the route their request was sent to; the few requests in flight at a switch (one per
 * connection) charge their CPU to the next window, as many in each direction over a run.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { openConnections, readResponses } from './raw-load.js';
import type { BenchSocket } from './socket-load.js';
import { percentile } from './stats.js';

/** How the windows go, whatever carries the load. */
export interface WindowPlan {
  /** Windows per route; the routes take turns, in an order that puts each after every other alike. */
  windowsPerRoute: number;
  windowMillis: number;
  /** Load on the first route before anything is counted (an idle server comes back slower). */
  warmupMillis?: number;
  /**
   * The server's CPU time so far, in µs (all its threads), read at every switch. A promise is
   * awaited before switching: the load goes on meanwhile, on the window's own route.
   */
  serverCpu: () => Promise<number> | number;
}

export interface InterleavedRouteResult {
  /** This route's windows, in order: the n-th of every route makes the n-th pass. */
  windows: LoadWindow[];
  /** Answers counted in this route's windows. */
  ok: number;
  /** Answers other than the expected one (an HTTP status outside 2xx, another body, a refusal). */
  failed: number;
  /** Time spent in this route's windows, s. */
  seconds: number;
  /** Server CPU time charged to this route's windows, µs. */
  serverCpu: number;
  /** Latency, ms. */
  p99: number;
}

/** One window of a route: the answers it counted, the server CPU charged to it. */
export interface LoadWindow {
  ok: number;
  serverCpu: number;
  seconds: number;
}

export interface InterleavedLoadResult {
  routes: InterleavedRouteResult[];
  /** CPU the load generator (this process) used, in cores. */
  generatorCores: number;
}

/**
 * The order of windows: route 0, 1, …, n-1, then n-1, …, 0, and so on, so that each route
 * follows and precedes the others equally often (what spills over a switch then evens out).
 */
export function windowOrder(routes: number, windowsPerRoute: number): number[] {
  const order: number[] = [];
  for (let pass = 0; pass < windowsPerRoute; pass++) {
    for (let i = 0; i < routes; i++) order.push(pass % 2 === 0 ? i : routes - 1 - i);
  }
  return order;
}

/** The windows of a benchmark round: `seconds` per route in windows of `windowMillis`, after `warmupSeconds` on the first. */
export function roundPlan(serverCpu: WindowPlan['serverCpu'], seconds: number, windowMillis: number, warmupSeconds: number): WindowPlan {
  return { windowsPerRoute: Math.round((seconds * 1000) / windowMillis), windowMillis, warmupMillis: warmupSeconds * 1000, serverCpu };
}

/** What a generator keeps per route while the windows run. */
interface RouteCounts {
  ok: number;
  failed: number;
  latencies: number[];
}

/** What a generator reads before each request it sends: which route, and whether to go on. */
interface Steering {
  current: number;
  running: boolean;
}

/**
 * The windows of one interleaved run, on a generator already started by the caller on route 0:
 * `steering.current` directs its next requests, `steering.running` false ends it, and `done`
 * resolves once every connection has stopped. Answers of the warm-up and after the last window
 * are not counted as ok.
 */
async function runWindows(plan: WindowPlan, counts: RouteCounts[], steering: Steering, done: () => Promise<unknown>): Promise<InterleavedLoadResult> {
  await new Promise((resolve) => setTimeout(resolve, plan.warmupMillis ?? 0));
  // Failures of the warm-up stay counted: they fail the run as any other.
  for (const route of counts) {
    route.ok = 0;
    route.latencies = [];
  }
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let cpuMark = await plan.serverCpu();
  let timeMark = performance.now();
  const windows: LoadWindow[][] = counts.map(() => []);
  for (const route of windowOrder(counts.length, plan.windowsPerRoute)) {
    steering.current = route;
    const okMark = counts[route]!.ok;
    await new Promise((resolve) => setTimeout(resolve, plan.windowMillis));
    const cpu = await plan.serverCpu();
    const now = performance.now();
    windows[route]!.push({ ok: counts[route]!.ok - okMark, serverCpu: cpu - cpuMark, seconds: (now - timeMark) / 1000 });
    cpuMark = cpu;
    timeMark = now;
  }
  const ok = counts.map((route) => route.ok);
  steering.running = false;
  await done();
  const cpu = process.cpuUsage(cpuBefore);
  const total = (route: number, of: 'seconds' | 'serverCpu') => windows[route]!.reduce((sum, window) => sum + window[of], 0);
  return {
    routes: counts.map((route, i) => ({
      windows: windows[i]!,
      ok: ok[i]!,
      failed: route.failed,
      seconds: total(i, 'seconds'),
      serverCpu: total(i, 'serverCpu'),
      p99: percentile(route.latencies, 99),
    })),
    generatorCores: (cpu.user + cpu.system) / 1000 / (performance.now() - started),
  };
}

/** One HTTP route of an interleaved run: its requests as bytes (sent in turn), and the answer it must give. */
export interface HttpRoute {
  requests: Buffer[];
  /** Every answer's body must be exactly this (else it counts as failed); any 2xx body when absent. */
  expectBody?: string;
}

/** GET requests to `url`, one per value of the rotated header. */
export function getRequests(url: string, header: { name: string; values: string[] }): Buffer[] {
  const { pathname, search, host } = new URL(url);
  return header.values.map((value) => Buffer.from(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\n${header.name}: ${value}\r\n\r\n`, 'latin1'));
}

/** JSON POSTs of `body` to `url`, one per value of the rotated header. */
export function postRequests(url: string, body: string, header: { name: string; values: string[] }): Buffer[] {
  const { pathname, search, host } = new URL(url);
  const length = Buffer.byteLength(body);
  return header.values.map((value) =>
    Buffer.from(`POST ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${header.name}: ${value}\r\n\r\n${body}`, 'latin1'),
  );
}

/** HTTP routes of the server at `origin`, interleaved on the same keep-alive connections. */
export async function interleavedLoad(spec: WindowPlan & { origin: string; routes: HttpRoute[]; connections: number }): Promise<InterleavedLoadResult> {
  const expected = spec.routes.map((route) => (route.expectBody === undefined ? undefined : Buffer.from(route.expectBody)));
  const counts: RouteCounts[] = spec.routes.map(() => ({ ok: 0, failed: 0, latencies: [] }));
  const steering: Steering = { current: 0, running: true };
  let next = 0;
  const run = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let sentAt = 0;
      let sentTo = steering.current;
      const send = () => {
        sentAt = performance.now();
        sentTo = steering.current;
        const requests = spec.routes[sentTo]!.requests;
        socket.write(requests[next++ % requests.length]!);
      };
      readResponses(
        socket,
        (status, body) => {
          const route = counts[sentTo]!;
          route.latencies.push(performance.now() - sentAt);
          const wanted = expected[sentTo];
          if (status >= 200 && status < 300 && (wanted === undefined || body.equals(wanted))) route.ok++;
          else route.failed++;
          if (steering.running) send();
          else socket.end();
        },
        () => counts[sentTo]!.failed++,
      );
      socket.on('close', () => resolve());
      send();
    });
  const sockets = await openConnections(new URL(spec.origin), spec.connections);
  const closed = Promise.all(sockets.map(run));
  return runWindows(spec, counts, steering, () => closed);
}

/**
 * Events of one WebSocket gateway, interleaved on the same open connections: on each, a closed
 * loop (send the window's event, wait for the answer of the same name, send the next). Another
 * answer (an `exception`: a refusal) or a closed connection counts as failed.
 */
export async function interleavedSocketLoad(spec: WindowPlan & { sockets: BenchSocket[]; events: string[] }): Promise<InterleavedLoadResult> {
  const counts: RouteCounts[] = spec.events.map(() => ({ ok: 0, failed: 0, latencies: [] }));
  const steering: Steering = { current: 0, running: true };
  let idle!: () => void;
  const allIdle = new Promise<void>((resolve) => (idle = resolve));
  let busy = spec.sockets.length;
  for (const socket of spec.sockets) {
    let sentAt = 0;
    let sentTo = steering.current;
    const send = () => {
      sentAt = performance.now();
      sentTo = steering.current;
      socket.send(spec.events[sentTo]!);
    };
    socket.onEvent = (answer) => {
      const route = counts[sentTo]!;
      route.latencies.push(performance.now() - sentAt);
      if (answer === spec.events[sentTo]) route.ok++;
      else route.failed++;
      if (steering.running) return send();
      if (--busy === 0) idle();
    };
    socket.onClose = () => {
      counts[sentTo]!.failed++;
      if (--busy === 0) idle();
    };
    send();
  }
  return runWindows(spec, counts, steering, () => allIdle);
}
