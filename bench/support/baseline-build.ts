import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { BENCH_DIR } from './report.js';

const ROOT = resolve(BENCH_DIR, '..');

/**
 * Builds the library as it is at a git ref (`main`, a commit) under bench/dist/baseline/<commit>,
 * with this checkout's TypeScript and node_modules, and returns the build's directory (its
 * dist/, for BENCH_LIBRARY): the "before" of a change, measured in the same run as the "after".
 * A commit built once is reused.
 */
export function buildLibraryAt(ref: string): { commit: string; dir: string } {
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const home = resolve(BENCH_DIR, 'dist', 'baseline', commit);
  const dir = resolve(home, 'lib');
  if (existsSync(resolve(dir, 'index.js'))) return { commit, dir };
  // The sources live inside this checkout while they compile (their imports resolve from its
  // node_modules), then go: the root tsconfig's typecheck includes bench/, so only .js stays.
  const source = resolve(home, 'src');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(source, { recursive: true });
  try {
    const archive = execFileSync('git', ['-C', ROOT, 'archive', commit, 'lib', 'tsconfig.json', 'tsconfig.build.json'], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', source], { input: archive });
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', resolve(source, 'tsconfig.build.json'), '--outDir', dir, '--declaration', 'false'], { stdio: 'inherit' });
  } finally {
    rmSync(source, { recursive: true, force: true });
  }
  return { commit, dir };
}
