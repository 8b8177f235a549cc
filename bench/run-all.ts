/**
 * `npm run bench`: every benchmark, one after the other (each in its own process; the soak, last
 * of them, takes about three minutes, most of it waiting for revocations to expire), then the
 * propagation and live-connection benchmarks (`npm run bench:propagation`,
 * `npm run bench:live-connections`, maintained with the Redis backend), then bench/RESULTS.md.
 * Options are passed on: `--quick`, `--profile` (the two scripts get SAMPLES=50 for `--quick`).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, describeMachine, goalsTable, loadReports, newReport, saveReport, scriptReport, writeResultsMarkdown } from './support/report.js';

const BENCHMARKS = ['guard-cost', 'context-guard-cost', 'guard-instructions', 'backchannel', 'revocation-scale', 'admin', 'soak'];
const passOn = process.argv.slice(2);
const ROOT = `${resolve(BENCH_DIR, '..')}/`;

function run(command: string, args: string[], capture = false, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'] });
    let output = '';
    const tee = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout?.on('data', tee(process.stdout));
    child.stderr?.on('data', tee(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const failed: string[] = [];
for (const name of BENCHMARKS) {
  console.log(`\n##### ${name} #####\n`);
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const { code } = await run(process.execPath, [script, ...passOn]);
  if (code !== 0) failed.push(name);
}

// The scripts maintained with the Redis backend, each its own npm script: 4. propagation across
// instances, 7. live connections closed at logout.
const started = Date.now();
const writtenSince = (file: string) => {
  try {
    return statSync(file).mtimeMs >= started;
  } catch {
    return false;
  }
};

/** Runs `npm run bench:<name>` and, unless it wrote its own report, records what it printed. */
async function runScript(name: string, order: number, title: string, goal: string): Promise<void> {
  console.log(`\n##### ${name} (npm run bench:${name}) #####\n`);
  // They take their size from SAMPLES; a quick run asks for few.
  const { code, output } = await run('npm', ['run', '--silent', `bench:${name}`], true, passOn.includes('--quick') ? { SAMPLES: '50' } : {});
  if (code !== 0) failed.push(name);
  if (writtenSince(`${BENCH_DIR}results/${name}.json`)) return;
  saveReport(newReport(scriptReport(name, order, title, goal, code, output), describeMachine()));
}

await runScript('propagation', 4, 'Propagation across instances', 'p50/p99 from logout at one instance to refusal at the others (no numeric goal)');
// 7. live connections writes its own report (bench/results/live-connections.json).
await runScript('live-connections', 7, 'Live connections closed at logout', 'p50 WebSocket closed ≤ HTTP refusal p50 + 1 ms');

writeResultsMarkdown();
console.log('\n##### summary #####\n');
console.log(goalsTable(loadReports()));
console.log(`\nbench/RESULTS.md written.${failed.length > 0 ? ` Failed: ${failed.join(', ')}.` : ''}`);
process.exitCode = failed.length > 0 ? 1 : 0;
