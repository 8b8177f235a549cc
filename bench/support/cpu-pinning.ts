import { spawnSync } from 'node:child_process';
import os from 'node:os';

/**
 * Which core the load generator (this process: autocannon, or the WebSocket clients) runs on,
 * and which the servers under test run on. On a 2-core machine the two otherwise trade places
 * all the time: a server got under half a core, and its CPU per request moved with how its
 * work interleaved with the generator's, so that adjacent rounds disagreed by several times a
 * 5% allowance. Pinned apart (Linux `taskset`, every thread), each keeps its own core and
 * caches. On by default with two cores or more; `--no-pin` turns it off.
 */
export interface CorePlan {
  generator: number;
  servers: number;
}

export function corePlan(argv: readonly string[] = process.argv): CorePlan | undefined {
  if (argv.includes('--no-pin')) return undefined;
  const cores = os.availableParallelism();
  if (cores < 2 || spawnSync('taskset', ['--version']).status !== 0) return undefined;
  return { generator: 0, servers: cores - 1 };
}

/** Pins every thread of a process to one core; threads it starts later inherit that. */
export function pinToCore(pid: number, core: number): void {
  const result = spawnSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(core), String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset could not pin process ${pid} to core ${core}: ${result.stderr.trim()}`);
}

/** What the report says of it. */
export function describeCorePlan(plan: CorePlan | undefined): string {
  return plan === undefined
    ? 'not pinned: the servers and the load generator share every core'
    : `each server pinned to core ${plan.servers}, the load generator (this process) to core ${plan.generator} (\`taskset\`; \`--no-pin\` to turn off)`;
}
