import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** bench/ in the source tree (this file runs from bench/dist/bench/support, or from bench/support for the scripts run on the sources). */
export const BENCH_DIR = fileURLToPath(new URL(import.meta.url.includes('/bench/dist/') ? '../../../' : '../', import.meta.url));
const RESULTS_DIR = `${BENCH_DIR}results`;
const RESULTS_MD = `${BENCH_DIR}RESULTS.md`;

export interface Machine {
  cpus: number;
  cpuModel: string;
  memory: string;
  node: string;
  os: string;
  /** 1-minute load average when the benchmark started: how busy the shared machine was. */
  loadAverage: number;
}

export interface Goal {
  goal: string;
  measured: string;
  /** null: no verdict (no numeric goal, or not measured in this run: `measured` says which). */
  met: boolean | null;
}

export interface BenchmarkReport {
  name: string;
  /** Position in RESULTS.md (the issue's numbering). */
  order: number;
  title: string;
  command: string;
  date: string;
  machine: Machine;
  goals: Goal[];
  /** The section's body in RESULTS.md. */
  markdown: string;
  /** A `--quick` smoke run: its figures say that the benchmark works, not how fast anything is. */
  quick?: boolean;
}

export function describeMachine(): Machine {
  let memory: string;
  try {
    memory = execFileSync('free', ['-h'], { encoding: 'utf8' }).trim();
  } catch {
    memory = `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB total`;
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memory,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg()[0] ?? 0,
  };
}

export function newReport(fields: Omit<BenchmarkReport, 'date' | 'machine' | 'quick'>, machine: Machine): BenchmarkReport {
  return { ...fields, date: new Date().toISOString(), machine, quick: isQuick() };
}

/** Stores one benchmark's figures (bench/results/<name>.json) and rewrites RESULTS.md from all of them. */
export function saveReport(report: BenchmarkReport): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}/${report.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeResultsMarkdown();
}

export function loadReports(): BenchmarkReport[] {
  let files: string[];
  try {
    files = readdirSync(RESULTS_DIR).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .map((file) => JSON.parse(readFileSync(`${RESULTS_DIR}/${file}`, 'utf8')) as BenchmarkReport)
    .filter((report) => typeof report.name === 'string' && typeof report.markdown === 'string')
    .sort((a, b) => a.order - b.order);
}

function verdict(met: boolean | null): string {
  if (met === null) return '—';
  return met ? '**met**' : '**missed**';
}

export function machineMarkdown(machine: Machine, date: string): string {
  return [
    `- Date (latest run): ${date}`,
    `- CPUs (\`nproc\`): ${machine.cpus} × ${machine.cpuModel}`,
    `- Node: ${machine.node}; ${machine.os}`,
    `- Load average (1 min) at start: ${machine.loadAverage.toFixed(2)} (the machine is shared; every figure below is a ratio measured in the same run)`,
    '- Memory (`free -h`):',
    '',
    '```',
    machine.memory,
    '```',
  ].join('\n');
}

export function goalsTable(reports: BenchmarkReport[]): string {
  const rows = reports.flatMap((report) =>
    report.goals.map((goal) => `| ${report.order}. ${report.title}${report.quick ? ' (quick run)' : ''} | ${goal.goal} | ${goal.measured} | ${verdict(goal.met)} |`),
  );
  return ['| benchmark | goal | measured | verdict |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** One line per missed goal, pointing at the section that explains it. */
function shortfalls(reports: BenchmarkReport[]): string[] {
  const missed = reports.flatMap((report) => report.goals.filter((goal) => goal.met === false).map((goal) => ({ report, goal })));
  if (missed.length === 0) return [];
  return [
    'Missed goals, each explained (profile, breakdown, what would fix it) in its section below:',
    '',
    ...missed.map(({ report, goal }) => `- ${goal.goal}: ${goal.measured} (section ${report.order}).`),
    '',
  ];
}

export function writeResultsMarkdown(): void {
  const reports = loadReports();
  const latest = [...reports].sort((a, b) => b.date.localeCompare(a.date))[0];
  const sections = reports.map((report) =>
    [
      `## ${report.order}. ${report.title}`,
      '',
      `Command: \`${report.command}\` · finished ${report.date} · load average at start ${report.machine.loadAverage.toFixed(2)}${report.quick ? ' · **quick smoke run (`--quick`): figures not meaningful**' : ''}`,
      '',
      report.markdown.trim(),
    ].join('\n'),
  );
  const text = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (all benchmarks) or `npm run bench:<name>` (one; the others keep their last figures).',
    'Servers run in their own processes on 127.0.0.1, driven from the bench process (autocannon; bench/support/raw-load.ts for GETs with a header rotated per request; bench/support/interleaved-load.ts where the guard benchmarks interleave routes), against the compiled',
    'library (dist/). The machine is shared and noisy, so every figure that is compared is a ratio against a baseline or',
    'a peer measured in the same run, with targets alternated round by round; medians over rounds are reported.',
    '',
    '## Machine',
    '',
    latest ? machineMarkdown(latest.machine, latest.date) : '(no run yet)',
    '',
    '## Goals',
    '',
    goalsTable(reports),
    '',
    ...shortfalls(reports),
    ...sections.flatMap((section) => [section, '']),
    '## How to run',
    '',
    '```bash',
    'npm install',
    'npm run bench                     # builds the library and the benchmarks, runs them all, rewrites this file',
    'npm run bench:guard-cost          # 1. bearer guard cost (Express, Fastify)',
    'npm run bench:context-guard-cost  # 10. bearer guard cost in GraphQL (Apollo, Mercurius) and WebSocket (ws, socket.io) (-- --baseline=main)',
    'npm run bench:backchannel         # 2. back-channel logout throughput vs express-openid-connect and jose',
    'npm run bench:revocation-scale    # 3. revocation check and memory at scale (in-process)',
    'npm run bench:propagation         # 4. propagation across instances (Redis; separate script)',
    'npm run bench:admin               # 5. Keycloak k_logout throughput vs keycloak-connect',
    'npm run bench:soak                # 6. load and soak: 3 instances on Redis, logouts + guarded requests (-- --duration 300)',
    'npm run bench:catch-up            # 9. a new instance catching up with the Redis log (sources; separate script)',
    'npm run bench:redis-memory        # Redis memory per session alone (sources; bench:revocation-scale reports it too)',
    '```',
    '',
    'Add `-- --quick` to any of them for a short smoke run (fewer, shorter rounds; figures not meaningful). `ROUNDS=16 npm run',
    'bench:guard-cost` (or `bench:context-guard-cost`) runs more rounds, which narrows a median that the noise of a shared',
    'machine moves; both pin their servers to one core and the load generator to another (`-- --no-pin` to share them).',
    '`TOKENS=1` runs them with one token instead of 2,000, a diagnosis of what the working set of many sessions costs.',
    '',
  ].join('\n');
  writeFileSync(RESULTS_MD, text);
}

/** Prints a report to the console: goals, then the section. */
export function printReport(report: BenchmarkReport): void {
  console.log(`\n=== ${report.order}. ${report.title} ===\n`);
  console.log(report.markdown.trim());
  console.log('');
  console.log(goalsTable([report]));
  console.log('');
}

export function isQuick(): boolean {
  return process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
}

/**
 * Rounds of a benchmark: `ROUNDS=<n>` in the environment, else its default (fewer with
 * `--quick`). More rounds narrow the median where adjacent measurements disagree by more than a goal's margin.
 */
export function roundsOf(full: number, quickRounds = 2): number {
  const asked = Number(process.env.ROUNDS);
  if (Number.isInteger(asked) && asked > 0) return asked;
  return isQuick() ? quickRounds : full;
}

/** The report of a benchmark kept as its own npm script (`npm run bench:<name>`): what it printed. */
export function scriptReport(name: string, order: number, title: string, goal: string, code: number, output: string): Omit<BenchmarkReport, 'date' | 'machine' | 'quick'> {
  const lines = output.trimEnd().split('\n');
  return {
    name,
    order,
    title,
    command: `npm run bench:${name}`,
    goals: [{ goal, measured: code === 0 ? 'see its output' : `script failed (exit ${code})`, met: null }],
    markdown: [`Output of \`npm run bench:${name}\` (its own script; last 120 lines):`, '', '```', ...lines.slice(-120), '```'].join('\n'),
  };
}
