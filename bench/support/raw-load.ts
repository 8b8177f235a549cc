/**
 * A lean load generator for the guard benchmarks' GETs: keep-alive connections on raw sockets,
 * each with one request in flight, the requests built once as bytes. autocannon rebuilds a request
 * for every call when its header changes per request (`setupRequest`), which cost it about
 * twice the CPU per request: on 2 cores, with the server on one and the generator on the other,
 * a Fastify app then waited for the generator, and req/s ratios measured the generator.
 *
 * The header values are taken in turn over all connections (one shared counter), as before: a
 * value comes back only after every other one was sent, whatever the number of connections.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { percentile } from './stats.js';

export interface RawLoadSpec {
  /** GET, keep-alive. */
  url: string;
  /** Sent with every request. */
  headers: Record<string, string>;
  /** Every response body must be exactly this; the others are counted in `mismatches`. */
  expectBody?: string;
  /** One request per value, in turn: `name: value`. */
  header: { name: string; values: string[] };
  connections: number;
  /** Seconds of load; ignored when `amount` is set. */
  seconds: number;
  /** Send exactly this many requests. */
  amount?: number;
}

export interface RawLoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  mismatches: number;
  seconds: number;
  p50: number;
  p99: number;
  generatorCores: number;
  prepared: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/** The first whole response in `data` (its length, status, where its body starts), or undefined when it has not all arrived. */
function firstResponse(data: Buffer): { length: number; status: number; bodyStart: number } | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = data.toString('latin1', 0, headerEnd);
  const length = CONTENT_LENGTH.exec(head);
  // The benchmark apps answer small JSON bodies with a Content-Length, never chunked.
  if (length === null) throw new Error(`a response without Content-Length: ${head.split('\r\n')[0]}`);
  const bodyStart = headerEnd + HEADER_END.length;
  const total = bodyStart + Number(length[1]);
  return data.length < total ? undefined : { length: total, status: Number(head.slice(9, 12)), bodyStart };
}

/**
 * Calls `answered` with each whole response arriving on `socket` (one request in flight at a
 * time); a response that cannot be read closes the socket. `failed` counts that and socket errors.
 */
export function readResponses(socket: Socket, answered: (status: number, body: Buffer) => void, failed: () => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let response: ReturnType<typeof firstResponse>;
    try {
      response = firstResponse(pending);
    } catch {
      failed();
      socket.destroy();
      return;
    }
    if (response === undefined) return;
    const body = pending.subarray(response.bodyStart, response.length);
    pending = pending.subarray(response.length);
    answered(response.status, body);
  });
  socket.on('error', failed);
}

/** `count` keep-alive TCP connections to the server of `url`, Nagle off. */
export function openConnections(url: URL, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true }, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
}

export async function rawLoad(spec: RawLoadSpec): Promise<RawLoadResult> {
  const url = new URL(spec.url);
  const fixed = Object.entries(spec.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const requests = spec.header.values.map((value) => Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${fixed}${spec.header.name}: ${value}\r\n\r\n`, 'latin1'));
  const expected = spec.expectBody === undefined ? undefined : Buffer.from(spec.expectBody);
  const limit = spec.amount ?? Number.POSITIVE_INFINITY;
  let next = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let mismatches = 0;
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = spec.amount === undefined ? started + spec.seconds * 1000 : Number.POSITIVE_INFINITY;
  let ended = started;

  const run = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let sentAt = 0;
      const send = () => {
        sentAt = performance.now();
        socket.write(requests[next++ % requests.length]!);
      };
      readResponses(
        socket,
        (status, body) => {
          const now = performance.now();
          latencies.push(now - sentAt);
          if (status >= 200 && status < 300) ok++;
          else non2xx++;
          if (expected !== undefined && !body.equals(expected)) mismatches++;
          if (now < deadline && next < limit) send();
          else {
            ended = Math.max(ended, now);
            socket.end();
          }
        },
        () => errors++,
      );
      socket.on('close', () => resolve());
      if (next < limit) send();
      else socket.end();
    });

  const sockets = await openConnections(url, spec.connections);
  await Promise.all(sockets.map(run));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ok,
    non2xx,
    errors,
    mismatches,
    seconds: (ended - started) / 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    generatorCores: (cpu.user + cpu.system) / 1000 / (performance.now() - started),
    prepared: next,
  };
}
