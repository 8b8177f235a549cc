/**
 * `npm run bench`: every benchmark, one after the other (each in its own process; the soak, last
 * of them, takes about three minutes, most of it waiting for revocations to expire), then the
 * propagation benchmark (`npm run bench:propagation`, maintained with the Redis backend) when
 * package.json has it, then bench/RESULTS.md. Options are passed on: `--quick`, `--profile`
 * (the propagation script gets SAMPLES=50 for `--quick`).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, describeMachine, goalsTable, loadReports, newReport, saveReport, writeResultsMarkdown } from './support/report.js';

const BENCHMARKS = ['guard-cost', 'backchannel', 'revocation-scale', 'admin', 'soak'];
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

// 4. Propagation across instances: `npm run bench:propagation`, maintained with the Redis backend.
const started = Date.now();
const propagationReport = `${BENCH_DIR}results/propagation.json`;
const writtenSince = (file: string) => {
  try {
    return statSync(file).mtimeMs >= started;
  } catch {
    return false;
  }
};
console.log('\n##### propagation (npm run bench:propagation) #####\n');
// It takes its size from SAMPLES; a quick run asks for few.
const { code, output } = await run('npm', ['run', '--silent', 'bench:propagation'], true, passOn.includes('--quick') ? { SAMPLES: '50' } : {});
if (code !== 0) failed.push('propagation');
// If the script wrote its own report in this format, keep it; else record what it printed.
if (!writtenSince(propagationReport)) {
  const lines = output.trimEnd().split('\n');
  saveReport(
    newReport(
      {
        name: 'propagation',
        order: 4,
        title: 'Propagation across instances',
        command: 'npm run bench:propagation',
        goals: [{ goal: 'p50/p99 from logout at one instance to refusal at the others (no numeric goal)', measured: code === 0 ? 'see its output' : `script failed (exit ${code})`, met: null }],
        markdown: ['Output of `npm run bench:propagation` (its own script; last 120 lines):', '', '```', ...lines.slice(-120), '```'].join('\n'),
      },
      describeMachine(),
    ),
  );
}

writeResultsMarkdown();
console.log('\n##### summary #####\n');
console.log(goalsTable(loadReports()));
console.log(`\nbench/RESULTS.md written.${failed.length > 0 ? ` Failed: ${failed.join(', ')}.` : ''}`);
process.exitCode = failed.length > 0 ? 1 : 0;
