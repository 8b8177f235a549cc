/**
 * Benchmark 5: Keycloak Admin URL `k_logout` throughput. The same signed LOGOUT actions
 * (Keycloak's LogoutAction shape, one adapter session and its Keycloak session each, RS256)
 * posted as `text/plain` to the library's `POST /auth/k_logout` and to keycloak-connect's
 * admin handler, in the same run; the sessions they name exist in each app beforehand.
 */
import { randomUUID } from 'node:crypto';
import { keycloakLogoutAction } from '../test/support/keycloak-admin-actions.js';
import { profileMarkdown, type ProfileSummary } from './support/cpu-profile.js';
import { profileServer } from './support/cpu-profile-run.js';
import { load, type LoadResult } from './support/load.js';
import { ChildServer, coresUsed, cpuMicros, stopAll } from './support/processes.js';
import { CLIENT_ID, inBatches, REALM, startRealm } from './support/realm.js';
import { describeMachine, isQuick, newReport, printReport, saveReport } from './support/report.js';
import { median, num, ratio, roundOrder } from './support/stats.js';

const quick = isQuick();
const ROUNDS = quick ? 2 : 6;
const ACTIONS_PER_ROUND = quick ? 500 : 2000;
const CONNECTIONS = 32;
/** Keycloak's actions expire 30 s after signing; 120 s lets a round finish (the library allows up to logoutToken.maxAge). */
const EXPIRES_IN = 120;

type TargetName = 'library (Express)' | 'library (Fastify)' | 'keycloak-connect';
interface Target {
  name: TargetName;
  server: ChildServer;
  path: string;
  /** Revocation-count increase per accepted action. */
  perAction: number;
}

interface Sample extends LoadResult {
  cores: number;
  cpuPerAction: number;
  jwksFetches: number;
}

interface Session {
  adapterSessionId: string;
  sid: string;
  sub: string;
}

const machine = describeMachine();
const { server: realm, signer } = await startRealm();
const servers: ChildServer[] = [realm];

function makeSessions(count: number): Session[] {
  return Array.from({ length: count }, () => ({ adapterSessionId: randomUUID().replaceAll('-', ''), sid: randomUUID(), sub: randomUUID() }));
}

/** Signs one LOGOUT action per session (fresh for each round: they expire). */
async function makeRound(sessions: Session[]): Promise<{ sessions: Session[]; actions: string[] }> {
  const count = sessions.length;
  const actions = await inBatches(count, (i) =>
    keycloakLogoutAction({
      realm: signer,
      clientId: CLIENT_ID,
      adapterSessionIds: [sessions[i]!.adapterSessionId],
      keycloakSessionIds: [sessions[i]!.sid],
      expiresIn: EXPIRES_IN,
    }),
  );
  return { sessions, actions };
}

async function post(target: Target, round: { sessions: Session[]; actions: string[] }): Promise<Sample> {
  const fetchesBefore = await realm.call<number>('jwksFetches');
  const before = await target.server.usage();
  const countBefore = await target.server.call<number>('revocationCount');
  const result = await load({
    url: target.server.url + target.path,
    method: 'POST',
    // What Keycloak's HttpClientProvider.postText sends.
    headers: { 'content-type': 'text/plain; charset=ISO-8859-1' },
    rotate: { bodies: round.actions },
    amount: round.actions.length,
    connections: CONNECTIONS,
  });
  const after = await target.server.usage();
  const countAfter = await target.server.call<number>('revocationCount');
  const accepted = (countAfter - countBefore) / target.perAction;
  if (result.non2xx > 0 || result.errors > 0 || accepted !== round.actions.length) {
    throw new Error(`${target.name}: ${result.ok} ok, ${result.non2xx} refused, ${result.errors} errors, ${accepted} carried out, of ${round.actions.length} actions`);
  }
  return {
    ...result,
    cores: coresUsed(before, after),
    cpuPerAction: cpuMicros(before, after) / round.actions.length,
    jwksFetches: (await realm.call<number>('jwksFetches')) - fetchesBefore,
  };
}

try {
  const ours = (adapter: 'express' | 'fastify') =>
    ChildServer.start(`library (${adapter})`, 'nest-app.js', { adapter, issuer: signer.issuer, clientId: CLIENT_ID, mode: 'memory' });
  const authServerUrl = signer.issuer.slice(0, signer.issuer.indexOf('/realms/'));
  const [ourExpress, ourFastify, keycloakConnect] = [
    await ours('express'),
    await ours('fastify'),
    await ChildServer.start('keycloak-connect', 'keycloak-connect-app.js', { authServerUrl, realm: REALM, clientId: CLIENT_ID }),
  ];
  servers.push(ourExpress, ourFastify, keycloakConnect);
  // The library revokes the adapter session and the sid the registry links it to (the named
  // sid adds nothing new); keycloak-connect clears the grant in the named session.
  const targets: Target[] = [
    { name: 'library (Express)', server: ourExpress, path: '/auth/k_logout', perAction: 2 },
    { name: 'library (Fastify)', server: ourFastify, path: '/auth/k_logout', perAction: 2 },
    { name: 'keycloak-connect', server: keycloakConnect, path: '/k_logout', perAction: 1 },
  ];

  // Every session any round will name, registered up front (as logins would have), so that
  // registering them does not happen, or leave garbage to collect, while a round is measured.
  const warmup = makeSessions(Math.min(500, ACTIONS_PER_ROUND));
  const perRound = Array.from({ length: ROUNDS + 2 }, () => makeSessions(ACTIONS_PER_ROUND));
  for (const target of targets) {
    for (const sessions of [warmup, ...perRound]) await target.server.call('seedSessions', sessions);
  }

  console.log('warming up...');
  for (const target of targets) await post(target, await makeRound(warmup));

  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  const ratios: Record<'express' | 'fastify', number[]> = { express: [], fastify: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const actions = await makeRound(perRound[round]!);
    for (const target of roundOrder(targets, round)) {
      const sample = await post(target, actions);
      samples.get(target.name)!.push(sample);
      console.log(`round ${round + 1}/${ROUNDS} ${target.name}: ${num(sample.rps)} actions/s (p50 ${sample.p50} ms, p99 ${sample.p99} ms, ${num(sample.cpuPerAction)} µs CPU/action, ${sample.jwksFetches} JWKS fetches, server ${sample.cores.toFixed(2)} cores, generator ${sample.generatorCores.toFixed(2)} cores)`);
    }
    const last = (name: TargetName) => samples.get(name)!.at(-1)!.rps;
    ratios.express.push(last('library (Express)') / last('keycloak-connect'));
    ratios.fastify.push(last('library (Fastify)') / last('keycloak-connect'));
  }

  const med = (name: string, pick: (s: Sample) => number) => median(samples.get(name)!.map(pick));
  const peerRps = med('keycloak-connect', (s) => s.rps);
  const peerCpu = med('keycloak-connect', (s) => s.cpuPerAction);
  const expressRatio = median(ratios.express);
  const fastifyRatio = median(ratios.fastify);

  let profiles = '';
  if (process.argv.includes('--profile')) {
    const summaries: Array<[string, ProfileSummary]> = [];
    for (const [i, target] of [targets[0]!, targets[2]!].entries()) {
      const actions = await makeRound(perRound[ROUNDS + i]!);
      summaries.push([target.name, await profileServer(target.server, () => post(target, actions))]);
    }
    profiles = summaries.map(([name, summary]) => profileMarkdown(summary, `CPU profile of ${name} carrying out ${ACTIONS_PER_ROUND} actions`)).join('\n\n');
  }

  const rows = targets.map((t) => {
    const rps = med(t.name, (s) => s.rps);
    const cpu = med(t.name, (s) => s.cpuPerAction);
    return `| ${t.name} | ${num(rps)} | ${ratio(rps / peerRps)} | ${num(med(t.name, (s) => s.p50), 1)} / ${num(med(t.name, (s) => s.p99), 1)} | ${num(cpu)} (${ratio(peerCpu / cpu)}) | ${num(med(t.name, (s) => s.jwksFetches))} | ${med(t.name, (s) => s.cores).toFixed(2)} |`;
  });
  const markdown = [
    `${ACTIONS_PER_ROUND} LOGOUT actions per round, each naming one adapter session and its Keycloak session (\`adapterSessionIds\`,`,
    '`keycloakSessionIds`), signed RS256 like Keycloak\'s (header `typ: JWT`, `kid`), posted as `text/plain; charset=ISO-8859-1`',
    `(${CONNECTIONS} connections) to every server; the sessions are registered in each app first. ${ROUNDS} rounds, alternating order; every`,
    'action must be answered 2xx and carried out (the library: adapter session and sid revoked; keycloak-connect: the grant',
    `cleared from the session), or the run fails. The actions expire ${EXPIRES_IN} s after signing (Keycloak: 30 s) so a round can finish.`,
    '',
    '| endpoint | actions/s | vs keycloak-connect | latency p50 / p99 (ms) | server CPU µs per action (keycloak-connect ÷ this) | realm JWKS fetches per round | server CPU (cores) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Library ÷ keycloak-connect, median of per-round ratios: **${ratio(expressRatio)}** on Express (rounds: ${ratios.express.map((r) => r.toFixed(2)).join(', ')}),`,
    `**${ratio(fastifyRatio)}** on Fastify (rounds: ${ratios.fastify.map((r) => r.toFixed(2)).join(', ')}).`,
    '',
    'keycloak-connect builds a new key fetcher for every admin request, so it downloads the realm\'s JWKS (one loopback HTTP',
    'round trip to the realm process, plus a JWK-to-PEM conversion) for each action; that is part of its cost, and the realm',
    'process competes for the same two cores. It checks only the RS256 signature and `action` (no `expiration`, `resource`',
    'or `typ` checks) and ignores `keycloakSessionIds`. The library verifies with cached keys and checks `typ`, `action`,',
    '`expiration`, `resource` and the ids, looks each adapter session up in the registry and revokes it and its `sid`.',
    ...(profiles ? ['', profiles] : []),
  ].join('\n');

  const report = newReport(
    {
      name: 'admin',
      order: 5,
      title: 'Keycloak admin k_logout throughput',
      command: 'npm run bench:admin',
      goals: [
        {
          goal: 'k_logout throughput vs keycloak-connect (no numeric goal in the issue)',
          measured: `${ratio(expressRatio)} on Express, ${ratio(fastifyRatio)} on Fastify`,
          met: null,
        },
      ],
      markdown,
    },
    machine,
  );
  saveReport(report);
  printReport(report);
} finally {
  await stopAll(servers);
}
