import autocannon from 'autocannon';
import { rawLoad } from './raw-load.js';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** The same body on every request (a GraphQL query, say). */
  body?: string;
  /** Every response body must be exactly this; the others are counted in `mismatches`. */
  expectBody?: string;
  /**
   * Per-request variation, used in turn across all connections: one bearer token per
   * request (`header`), or one body per request (`bodies`, with `amount` = their number,
   * so that each is sent exactly once).
   */
  rotate?: { header?: { name: string; values: string[] }; bodies?: string[] };
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Send exactly this many requests. */
  amount?: number;
}

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Responses whose body was not `expectBody` (0 without it). */
  mismatches: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  seconds: number;
  /** CPU the load generator (this process) used meanwhile, in cores: near 1.0 means it may be the bottleneck. */
  generatorCores: number;
  /** Requests the load generator prepared (equal to `ok + non2xx + errors` in amount mode). */
  prepared: number;
}

/**
 * One load run from this process against a server on 127.0.0.1: GETs with a header rotated per
 * request come from the lean generator (raw-load.ts), the rest from autocannon. POSTs stay with
 * autocannon: under the lean generator a Mercurius server spent more system time per query
 * (57-73 against 49-51 µs of CPU per query, same rounds), for a reason not found yet, and its
 * servers are slow enough for autocannon (0.4 generator cores).
 */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const header = spec.rotate?.header;
  if (header !== undefined && spec.rotate?.bodies === undefined && (spec.method ?? 'GET') === 'GET' && spec.body === undefined) {
    const result = await rawLoad({
      url: spec.url,
      headers: spec.headers ?? {},
      expectBody: spec.expectBody,
      header,
      connections: spec.connections,
      seconds: spec.duration ?? 5,
      amount: spec.amount,
    });
    return { ...result, rps: result.ok / result.seconds };
  }
  const parsed = new URL(spec.url);
  let next = 0;
  const rotate = spec.rotate;
  const requests: autocannon.Request[] = [
    {
      method: spec.method ?? 'GET',
      path: parsed.pathname + parsed.search,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(rotate === undefined
        ? {}
        : {
            setupRequest: (request: autocannon.Request) => {
              const index = next++;
              const changed: autocannon.Request = { ...request };
              if (rotate.header !== undefined) {
                const values = rotate.header.values;
                changed.headers = { ...request.headers, [rotate.header.name]: values[index % values.length]! };
              }
              if (rotate.bodies !== undefined) {
                // In amount mode autocannon asks for exactly `amount` requests; never resend one.
                changed.body = rotate.bodies[Math.min(index, rotate.bodies.length - 1)];
              }
              return changed;
            },
          }),
    },
  ];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let lastResponse = started;
  const instance = autocannon({
    url: parsed.origin,
    connections: spec.connections,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.duration ?? 5 }),
    headers: spec.headers ?? {},
    requests,
    // autocannon's own `expectBody` does not combine with `requests`; a function does.
    ...(spec.expectBody === undefined ? {} : { verifyBody: (body: unknown) => body === spec.expectBody }),
    timeout: 30,
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  instance.on('response', () => {
    lastResponse = performance.now();
  });
  const result = await instance;
  const ok = result['2xx'];
  const cpu = process.cpuUsage(cpuBefore);
  // In amount mode autocannon notices the end only at its next 1 s tick: time it ourselves.
  const seconds = spec.amount !== undefined ? (lastResponse - started) / 1000 : result.duration;
  return {
    rps: ok / seconds,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    mismatches: result.mismatches,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds,
    generatorCores: (cpu.user + cpu.system) / 1000 / (performance.now() - started),
    prepared: next,
  };
}
