/**
 * Live-connection benchmark: how long after the back-channel logout POST's response at instance
 * A is the session's WebSocket at instance B closed, seen from B's client? Three instances
 * (separate processes) on one private redis-server, loopback, Redis mode.
 *
 *   npm run bench:live-connections            (SAMPLES=200 to change the number of logouts)
 *
 * Method: for each logout, a fresh session with a `ws` client connected to instance B (or C, in
 * turn) and admitted (its `whoami` answered); the POST goes to instance A; t0 is the moment its
 * response arrives. Measured from t0, in the same iteration:
 * - closed: the client's `close` event (code 4401 expected): the revocation travelled through
 *   Redis to B, B's `onLogout` fired, the registry found the socket, and the close frame arrived;
 * - refused: the arrival of the first 401 from B's `GET /api/me` with the session's token,
 *   probing back to back (includes one probe round trip: an upper bound), for comparison.
 * Not a test: prints a table and writes bench/results/live-connections.json (RESULTS section 7).
 * Goal (issue 13): the socket closed no later than the HTTP refusal plus 1 ms, at p50.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { InstanceProcess } from '../test/support/instance-process.js';
import { backchannelLogout, runOnRedisInstances, signSessions } from './redis-deployment.js';
import { latencyHeader, latencyRow, p50, refusedAt } from './support/latency-table.js';
import { describeMachine, newReport, saveReport } from './support/report.js';

/** How much later than the HTTP refusal the socket may close, at p50 (issue 13). */
const GOAL_MARGIN_MS = 1;

const SAMPLES = Number(process.env.SAMPLES ?? 200);
const WARMUP = 10;
const CLIENT = 'bench-live';
const DEADLINE_MS = 2_000;

const row = (label: string, values: number[]) => latencyRow(label, values, 46);

/** A `ws` client admitted by the instance: resolves once its `whoami` is answered, with its close as a promise. */
async function admittedSocket(instance: InstanceProcess, token: string): Promise<{ closed: Promise<{ code: number; at: number }>; close(): void }> {
  const socket = new WebSocket(`${instance.url.replace(/^http/, 'ws')}/live`, { headers: { authorization: `Bearer ${token}` } });
  const closed = new Promise<{ code: number; at: number }>((resolve) => socket.once('close', (code) => resolve({ code, at: performance.now() })));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ event: 'whoami' })));
    socket.once('message', () => resolve());
    void closed.then(({ code }) => reject(new Error(`${instance.name} closed the socket (${code}) before admitting it`)));
  });
  return { closed, close: () => socket.close() };
}

runOnRedisInstances(3, { clientId: CLIENT, keyPrefix: 'bench-live:', logs: false, liveConnections: true }, async ({ realm, instances }) => {
  const [origin, ...others] = instances;

  const total = WARMUP + SAMPLES;
  // Tokens signed up front, so that signing is not timed.
  const sessions = await signSessions(realm, CLIENT, total, 'bench-live');

  const closedLag: number[] = [];
  const refusedLag: number[] = [];
  const codes = new Map<number, number>();
  for (let i = 0; i < total; i += 1) {
    const { access, logout } = sessions[i]!;
    const target = others[i % others.length]!;
    if ((await target.me(access)) !== 200) throw new Error('setup: token refused');
    const socket = await admittedSocket(target, access);
    const t0 = await backchannelLogout(origin, logout);
    let timer: NodeJS.Timeout | undefined;
    const [closed, refused] = await Promise.all([
      Promise.race([
        socket.closed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${target.name} did not close the socket within ${DEADLINE_MS} ms`)), DEADLINE_MS);
        }),
      ]),
      refusedAt(target, access, t0 + DEADLINE_MS),
    ]);
    clearTimeout(timer);
    if (i < WARMUP) continue;
    codes.set(closed.code, (codes.get(closed.code) ?? 0) + 1);
    closedLag.push(closed.at - t0);
    refusedLag.push(refused - t0);
  }

  const header = latencyHeader(46);
  const lines = [
    `Live connections closed at logout (back-channel logout at instance 1 → ws client of instances 2 and 3), ${SAMPLES} logouts after ${WARMUP} warm-up`,
    `3 Nest instances (separate processes), redis-server on loopback, ${new Date().toISOString()}, ` +
      `${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    '',
    'from the POST response at instance 1 until ...',
    header,
    row('the WebSocket at instance 2/3 is closed', closedLag),
    row('a 401 arrives from instance 2/3 (HTTP probe)', refusedLag),
    '',
    `close codes seen: ${[...codes].map(([code, n]) => `${code} × ${n}`).join(', ')}`,
  ];
  console.log(`\n${lines.join('\n')}`);
  const closedP50 = p50(closedLag);
  const refusedP50 = p50(refusedLag);
  saveReport(
    newReport(
      {
        name: 'live-connections',
        order: 7,
        title: 'Live connections closed at logout',
        command: 'npm run bench:live-connections',
        goals: [
          {
            goal: `p50 from logout at one instance to the WebSocket closed at another ≤ the HTTP refusal's p50 + ${GOAL_MARGIN_MS} ms (Redis, 3 instances)`,
            measured: `${closedP50.toFixed(2)} ms vs ${refusedP50.toFixed(2)} ms (${(closedP50 - refusedP50 >= 0 ? '+' : '')}${(closedP50 - refusedP50).toFixed(2)} ms)`,
            met: closedP50 <= refusedP50 + GOAL_MARGIN_MS,
          },
        ],
        markdown: ['```', ...lines, '```'].join('\n'),
      },
      describeMachine(),
    ),
  );
});
