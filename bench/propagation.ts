/**
 * Propagation benchmark: how long after the back-channel logout POST's response at instance 1
 * do instances 2..4 (separate processes, one private redis-server, loopback) refuse the
 * session's still-valid access token?
 *
 *   npm run bench:propagation            (SAMPLES=300 to change the number of logouts)
 *
 * Method: for each logout, a fresh session whose token every instance has already accepted; the
 * POST goes to instance 1; t0 is the moment its response arrives. Two measures per instance:
 * - applied: when the revocation reached the instance's RevocationStore (a high-resolution
 *   epoch timestamp taken in that process right after it applied it; from then on its guard
 *   refuses the token). Negative when it was there before instance 1's response arrived.
 * - observed: the arrival of the first 401 when probing GET /api/me back to back from t0, so it
 *   includes one probe round trip: an upper bound. One instance is probed per logout (in turn,
 *   instance 1 included for reference), so that probes do not queue behind each other.
 * Not a test: prints a table, exits 0.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { keycloakAccessToken } from '../test/support/keycloak-access-token.js';
import { backchannelLogout, runOnRedisInstances, signSessions } from './redis-deployment.js';
import { latencyHeader, latencyRow, p99, refusedAt } from './support/latency-table.js';

const SAMPLES = Number(process.env.SAMPLES ?? 400);
const WARMUP = 20;
const CLIENT = 'bench-propagation';
const PROBE_DEADLINE_MS = 2_000;

const row = (label: string, values: number[]) => latencyRow(label, values, 40);

async function get(url: string, token: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

runOnRedisInstances(4, { clientId: CLIENT, keyPrefix: 'bench:', logs: false, reportApplied: true }, async ({ realm, instances }) => {
  const [origin, ...others] = instances;
  // instance name -> sid -> epoch ms it was applied there (first report wins: later ones are echoes).
  const applied = new Map<string, Map<string, number>>(instances.map((instance) => [instance.name, new Map()]));
  for (const instance of instances) {
    instance.onMessage((message) => {
      if (message.type !== 'applied') return;
      const seen = applied.get(instance.name)!;
      if (!seen.has(message.sid as string)) seen.set(message.sid as string, message.at as number);
    });
  }

  // Tokens signed up front, so that signing is not timed.
  const total = WARMUP + SAMPLES;
  const sessions = await signSessions(realm, CLIENT, total, 'bench-sid');
  const valid = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'bystander', sid: 'bench-bystander' });

  const perInstance = new Map<string, number[]>(others.map((instance) => [instance.name, []]));
  const appliedPerInstance = new Map<string, number[]>(others.map((instance) => [instance.name, []]));
  const appliedLastOfAll: number[] = [];
  const originLag: number[] = [];
  const probeRtt: number[] = [];
  for (let i = 0; i < total; i += 1) {
    const { access, logout } = sessions[i]!;
    // Every instance has seen the token before (verified and cached), as in real traffic.
    for (const instance of instances) if ((await get(`${instance.url}/api/me`, access)) !== 200) throw new Error('setup: token refused');
    const rttStart = performance.now();
    await get(`${others[i % others.length]!.url}/api/me`, valid);
    const rtt = performance.now() - rttStart;

    const t0 = await backchannelLogout(origin, logout);
    const t0Epoch = performance.timeOrigin + t0;
    const probed = instances[i % instances.length]!;
    const refused = (await refusedAt(probed, access, t0 + PROBE_DEADLINE_MS)) - t0;
    if (i < WARMUP) continue;
    const sid = `bench-sid-${i}`;
    // IPC reports may trail the 401s by a moment.
    for (let wait = 0; others.some((instance) => !applied.get(instance.name)!.has(sid)); wait += 1) {
      if (wait > 200) throw new Error(`no applied report for ${sid}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const appliedLags = others.map((instance) => applied.get(instance.name)!.get(sid)! - t0Epoch);
    others.forEach((instance, k) => appliedPerInstance.get(instance.name)!.push(appliedLags[k]!));
    appliedLastOfAll.push(Math.max(...appliedLags));
    probeRtt.push(rtt);
    if (probed === origin) originLag.push(refused);
    else perInstance.get(probed.name)!.push(refused);
  }

  const all = [...perInstance.values()].flat();
  const appliedAll = [...appliedPerInstance.values()].flat();
  const header = latencyHeader(40);
  console.log(`\nPropagation of a back-channel logout (instance 1 → instances 2..4), ${SAMPLES} logouts after ${WARMUP} warm-up`);
  console.log(
    `4 Nest instances (separate processes), redis-server on loopback, ${new Date().toISOString()}, ` +
      `${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log('\napplied: from the POST response at instance 1 until the instance\'s store holds the revocation');
  console.log(header);
  for (const [name, values] of appliedPerInstance) console.log(row(name, values));
  console.log(row('instances 2..4, all', appliedAll));
  console.log(row('last of 2..4 (all refuse)', appliedLastOfAll));
  console.log('\nobserved: from the POST response until a 401 arrives from the instance (one probe round trip included)');
  console.log(header);
  for (const [name, values] of perInstance) console.log(row(name, values));
  console.log(row('instances 2..4, all', all));
  console.log(row('instance 1 itself (probe cost only)', originLag));
  console.log(row('probe round trip alone (valid token)', probeRtt));
  const p99Applied = p99(appliedAll);
  const p99Observed = p99(all);
  console.log(
    `\ngoal p99 ≤ 5 ms on loopback: applied p99 ${p99Applied.toFixed(2)} ms (${p99Applied <= 5 ? 'met' : 'NOT met'}), ` +
      `observed p99 ${p99Observed.toFixed(2)} ms (${p99Observed <= 5 ? 'met' : 'NOT met'})`,
  );
});
