/**
 * Load that switches between routes of one server every few hundred milliseconds, on the same
 * keep-alive connections, and charges the server's CPU time to the route of each window.
 *
 * Why: on a shared machine the CPU a request costs moves by tens of percent over seconds (other
 * tenants, frequency), so two routes measured one after the other for 3 s each differ by more
 * than a guard costs. Interleaved in short windows, both routes see the same slow periods, and
 * the ratio of their CPU per request keeps only what differs between them. Responses are counted
 * for the route their request was sent to; the few requests in flight at a switch (one per
 * connection) charge their CPU to the next window, as many in each direction over a run.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { openConnections, readResponses } from './raw-load.js';
import { percentile } from './stats.js';

export interface InterleavedLoadSpec {
  /** Routes of one server (same host and port), GET, keep-alive. */
  urls: string[];
  /** One request per value, in turn over all connections: `name: value`. */
  header: { name: string; values: string[] };
  connections: number;
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
  ok: number;
  non2xx: number;
  errors: number;
  /** Time spent in this route's windows, s. */
  seconds: number;
  /** Server CPU time charged to this route's windows, µs. */
  serverCpu: number;
  p50: number;
  p99: number;
}

/** One window: its route (index into `urls`), the responses it counted, the server CPU charged to it. */
export interface LoadWindow {
  route: number;
  ok: number;
  serverCpu: number;
  seconds: number;
}

export interface InterleavedLoadResult {
  routes: InterleavedRouteResult[];
  /** Window by window, in order: adjacent windows make pairs measured under the same conditions. */
  windows: LoadWindow[];
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

export async function interleavedLoad(spec: InterleavedLoadSpec): Promise<InterleavedLoadResult> {
  const first = new URL(spec.urls[0]!);
  const requests = spec.urls.map((url) => {
    const { pathname, search, host } = new URL(url);
    if (host !== first.host) throw new Error(`interleavedLoad: every route must be on ${first.host}, not ${host}`);
    return spec.header.values.map((value) => Buffer.from(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\n${spec.header.name}: ${value}\r\n\r\n`, 'latin1'));
  });
  const routes = spec.urls.map(() => ({ ok: 0, non2xx: 0, errors: 0, seconds: 0, serverCpu: 0, latencies: [] as number[] }));
  const order = windowOrder(spec.urls.length, spec.windowsPerRoute);
  let current = order[0]!;
  let next = 0;
  let running = true;

  const run = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let sentAt = 0;
      let sentTo = current;
      const send = () => {
        sentAt = performance.now();
        sentTo = current;
        socket.write(requests[sentTo]![next++ % spec.header.values.length]!);
      };
      readResponses(
        socket,
        (status) => {
          const route = routes[sentTo]!;
          route.latencies.push(performance.now() - sentAt);
          if (status >= 200 && status < 300) route.ok++;
          else route.non2xx++;
          if (running) send();
          else socket.end();
        },
        () => routes[sentTo]!.errors++,
      );
      socket.on('close', () => resolve());
      send();
    });

  const sockets = await openConnections(first, spec.connections);
  const closed = Promise.all(sockets.map(run));
  await new Promise((resolve) => setTimeout(resolve, spec.warmupMillis ?? 0));
  // Refusals and errors of the warm-up stay counted: they fail the run as any other.
  for (const route of routes) {
    route.ok = 0;
    route.latencies = [];
  }
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let cpuMark = await spec.serverCpu();
  let timeMark = performance.now();
  const windows: LoadWindow[] = [];
  for (const route of order) {
    current = route;
    const okMark = routes[route]!.ok;
    await new Promise((resolve) => setTimeout(resolve, spec.windowMillis));
    const cpu = await spec.serverCpu();
    const now = performance.now();
    const window = { route, ok: routes[route]!.ok - okMark, serverCpu: cpu - cpuMark, seconds: (now - timeMark) / 1000 };
    windows.push(window);
    routes[route]!.serverCpu += window.serverCpu;
    routes[route]!.seconds += window.seconds;
    cpuMark = cpu;
    timeMark = now;
  }
  // The answers still in flight after the last window are not counted: no window holds their CPU.
  const okInWindows = routes.map((route) => route.ok);
  running = false;
  await closed;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    routes: routes.map(({ latencies, ...counts }, i) => ({ ...counts, ok: okInWindows[i]!, p50: percentile(latencies, 50), p99: percentile(latencies, 99) })),
    windows,
    generatorCores: (cpu.user + cpu.system) / 1000 / (performance.now() - started),
  };
}
