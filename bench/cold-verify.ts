/**
 * Benchmark 8: the first sight of an access token (a new token every request, so no cache
 * helps). On the same RS256 key and the same Keycloak-shaped tokens, in process (no HTTP):
 * the library's AccessTokenVerifierService (its JWKS from the realm over HTTP, once; then jose's
 * remote key set), `jose.jwtVerify` with an imported CryptoKey, `jose.jwtVerify` with a local
 * JWKS, and Node's `crypto.verify` alone on the signing input (the lower bound of any RS256
 * check). Reported as ratios measured in the same run.
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLocalJWKSet, importJWK, jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import { keycloakAccessToken } from '../test/support/keycloak-access-token.js';
import type { AccessTokenVerifierService } from '../lib/index.js';
import { lib } from './support/library.js';
import { stopAll, type ChildServer } from './support/processes.js';
import { CLIENT_ID, inBatches, startRealm } from './support/realm.js';
import { describeMachine, isQuick, newReport, printReport, saveReport, type Goal } from './support/report.js';
import { median, num, ratio } from './support/stats.js';

const quick = isQuick();
const TOKENS = quick ? 300 : 2000;
const ROUNDS = quick ? 2 : 6;
const IN_FLIGHT = 32;

type Path = 'library' | 'joseKey' | 'joseJwks' | 'cryptoVerify';
const PATHS: Path[] = ['library', 'joseKey', 'joseJwks', 'cryptoVerify'];
const LABELS: Record<Path, string> = {
  library: 'library: `AccessTokenVerifierService.verify` (cache off)',
  joseKey: '`jose.jwtVerify`, imported CryptoKey',
  joseJwks: '`jose.jwtVerify`, `createLocalJWKSet`',
  cryptoVerify: 'Node `crypto.verify` alone (signature only)',
};

/** A token split once, for `crypto.verify` alone: what any RS256 check must at least do. */
interface Split {
  signingInput: Buffer;
  signature: Buffer;
}

function split(token: string): Split {
  const last = token.lastIndexOf('.');
  return { signingInput: Buffer.from(token.slice(0, last)), signature: Buffer.from(token.slice(last + 1), 'base64url') };
}

const machine = describeMachine();
const { server: realm, signer } = await startRealm();
const servers: ChildServer[] = [realm];
let app: INestApplicationContext | undefined;

try {
  app = await NestFactory.createApplicationContext(
    lib.KeycloakLogoutModule.forRoot({
      issuer: signer.issuer,
      clientId: CLIENT_ID,
      bearer: { cacheSize: 0 },
      routes: { backchannelLogout: false, keycloakAdmin: false },
    }),
    { logger: false },
  );
  const verifier = app.get<AccessTokenVerifierService>(lib.AccessTokenVerifierService);
  const key = signer.keys[0]!;
  const cryptoKey = (await importJWK(key.publicJwk, 'RS256')) as CryptoKey;
  const localJwks = createLocalJWKSet({ keys: [key.publicJwk] });
  const keyObject: KeyObject = createPublicKey({ key: key.publicJwk as never, format: 'jwk' });
  // What the library checks besides its own claim rules: algorithm pinned, issuer, iat and exp.
  const joseOptions: JWTVerifyOptions = { algorithms: ['RS256'], issuer: signer.issuer, requiredClaims: ['iat', 'exp'], clockTolerance: 5 };

  const iat = Math.floor(Date.now() / 1000);
  const tokens = await inBatches(TOKENS, () => keycloakAccessToken(signer, { clientId: CLIENT_ID, sub: randomUUID(), sid: randomUUID(), iat, exp: iat + 3600 }));
  const splits = tokens.map(split);

  const verifyOne: Record<Path, (index: number) => unknown> = {
    library: (i) => verifier.verify(tokens[i]!),
    joseKey: (i) => jwtVerify(tokens[i]!, cryptoKey, joseOptions),
    joseJwks: (i) => jwtVerify(tokens[i]!, localJwks, joseOptions),
    cryptoVerify: (i) => {
      if (!verifySignature('sha256', splits[i]!.signingInput, keyObject, splits[i]!.signature)) throw new Error('signature did not verify');
    },
  };

  // Every path must accept every token, or the comparison means nothing.
  for (const path of PATHS) for (let i = 0; i < 20; i++) await verifyOne[path](i);

  /** Wall µs of one call, one at a time (awaited when it returns a promise). */
  async function timeOne(fn: () => unknown): Promise<number> {
    const started = process.hrtime.bigint();
    const result = fn();
    if (result instanceof Promise) await result;
    return Number(process.hrtime.bigint() - started) / 1000;
  }

  /** Tokens per second with IN_FLIGHT verifications in flight, and process CPU µs per token (all threads). */
  async function throughput(path: Path): Promise<{ rate: number; cpu: number }> {
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < tokens.length) {
          const result = verifyOne[path](next++);
          if (result instanceof Promise) await result;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    return { rate: tokens.length / seconds, cpu: (cpu.user + cpu.system) / tokens.length };
  }

  const latency: Record<Path, number[]> = { library: [], joseKey: [], joseJwks: [], cryptoVerify: [] };
  const rates: Record<Path, number[]> = { library: [], joseKey: [], joseJwks: [], cryptoVerify: [] };
  const cpus: Record<Path, number[]> = { library: [], joseKey: [], joseJwks: [], cryptoVerify: [] };
  /** Per round, library ÷ jose with a CryptoKey (time per token), from adjacent measurements. */
  const latencyRatios: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    // One at a time, the paths interleaved token by token, so the machine's other work hits them alike.
    const roundLatency: Record<Path, number[]> = { library: [], joseKey: [], joseJwks: [], cryptoVerify: [] };
    for (let i = 0; i < tokens.length; i++) {
      const order = round % 2 === 0 ? PATHS : [...PATHS].reverse();
      for (const path of order) roundLatency[path].push(await timeOne(() => verifyOne[path](i)));
    }
    const order = round % 2 === 0 ? PATHS : [...PATHS].reverse();
    const roundRates = {} as Record<Path, { rate: number; cpu: number }>;
    for (const path of order) roundRates[path] = await throughput(path);
    console.log(
      `round ${round}/${ROUNDS}${round === 0 ? ' (warm-up)' : ''}: ` +
        PATHS.map((path) => `${path} ${num(median(roundLatency[path]), 1)} µs, ${num(roundRates[path].rate)}/s, ${num(roundRates[path].cpu, 1)} µs CPU`).join('; '),
    );
    if (round === 0) continue;
    for (const path of PATHS) {
      latency[path].push(median(roundLatency[path]));
      rates[path].push(roundRates[path].rate);
      cpus[path].push(roundRates[path].cpu);
    }
    latencyRatios.push(median(roundLatency.joseKey) / median(roundLatency.library));
  }

  const med = (values: Record<Path, number[]>, path: Path) => median(values[path]);
  const rows = PATHS.map((path) =>
    [
      LABELS[path],
      num(med(latency, path), 1),
      ratio(med(latency, 'cryptoVerify') / med(latency, path)),
      ratio(med(latency, path) / med(latency, 'library')),
      num(med(rates, path)),
      num(med(cpus, path), 1),
      ratio(med(cpus, 'library') / med(cpus, path)),
    ].join(' | '),
  );
  const libraryVsJose = median(latencyRatios);
  const goals: Goal[] = [
    {
      goal: 'first sight of a token: the library vs `jose.jwtVerify` with an imported key, same RS256 tokens (no numeric goal)',
      measured: `${ratio(libraryVsJose)} of jose's speed one at a time (${num(med(latency, 'library'), 1)} vs ${num(med(latency, 'joseKey'), 1)} µs); \`crypto.verify\` alone ${num(med(latency, 'cryptoVerify'), 1)} µs`,
      met: null,
    },
  ];
  const markdown = [
    `${TOKENS} distinct Keycloak-shaped access tokens (RS256, 2048-bit key, aud "account", azp the client, sid, typ Bearer), each verified`,
    `by every path in every round; ${ROUNDS} rounds after one warm-up round, the order of the paths reversed every other round. In process, no HTTP:`,
    'the library\'s verifier runs in a Nest application context with `bearer.cacheSize: 0` (every call verifies), its JWKS fetched from the',
    'realm (in its own process) once. The jose paths check what the library asks jose to (algorithm pinned, `iss`, `iat`, `exp`);',
    'the library also checks `typ`, `aud`/`azp`, DPoP binding and ID-token claims. `crypto.verify` alone checks the signature on',
    'the signing input, split beforehand: the floor of any RS256 verification in Node.',
    '',
    '| path | µs per token, one at a time | speed vs `crypto.verify` | time vs the library | tokens/s, 32 in flight | process CPU µs per token | CPU: library ÷ this |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
    `Library ÷ jose with an imported key, median of per-round ratios (one at a time): **${ratio(libraryVsJose)}** of jose's speed.`,
    'Medians over rounds. CPU per token counts every thread of the process (jose verifies with WebCrypto, whose RSA work runs on',
    "libuv's thread pool; `crypto.verify` runs on the main thread), so it is the figure least moved by the other work on this machine.",
    'The tokens/s column is the noisiest: 32 verifications in flight compete with everything else on the machine for its two cores.',
    '',
    '### Where the difference lies',
    '',
    '- jose ÷ `crypto.verify`: jose parses and checks the JWS and its claims, then verifies through WebCrypto (`crypto.subtle.verify`,',
    "  a job on libuv's thread pool and a promise), where `crypto.verify` is one synchronous call. That is jose's design; going",
    '  around it would mean parsing JOSE by hand, which this library does not do.',
    '- jose with a local JWKS ÷ jose with a key: choosing the key by `kid`/`alg` among the realm\'s JWKs for every token (jose',
    '  imports each JWK once and keeps the CryptoKey).',
    "- the library ÷ jose with a local JWKS: the remote key set (jose's `createRemoteJWKSet`: freshness and cooldown checks) and the",
    '  outage guard around it (lib/tokens/signing-keys.service.ts), and the access-token rules jose does not know: `typ` (header and',
    '  payload), DPoP binding, ID-token and logout-token claims, `aud`/`azp`, string `sid`/`sub`/`azp`.',
    '',
    'Changed for issue 16 (lib/tokens/jws-verifier.service.ts): a well-formed compact JWS is recognised with one scan (before, every',
    'token was also split into its parts, only to tell a JWE apart); the realm key set, once made, is used without awaiting a',
    'promise. No JWK is imported more than once: jose keeps the imported keys of its key sets.',
  ].join('\n');

  const report = newReport({ name: 'cold-verify', order: 8, title: 'First sight of a token (cold verification)', command: 'npm run bench:cold-verify', goals, markdown }, machine);
  saveReport(report);
  printReport(report);
} finally {
  await app?.close();
  await stopAll(servers);
}
