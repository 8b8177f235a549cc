/** Latency tables of the separate Redis benchmarks: n, p50, p90, p99, max per row, in ms. */

/** The p-th percentile of values sorted ascending (nearest rank). */
function nearestRank(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function p50(values: number[]): number {
  return nearestRank([...values].sort((a, b) => a - b), 50);
}

export function p99(values: number[]): number {
  return nearestRank([...values].sort((a, b) => a - b), 99);
}

export function latencyHeader(labelWidth: number): string {
  return `${''.padEnd(labelWidth)}${'n'.padStart(7)}${['p50', 'p90', 'p99', 'max'].map((h) => h.padStart(11)).join('')}`;
}

export function latencyRow(label: string, values: number[], labelWidth: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const cells = [50, 90, 99].map((p) => nearestRank(sorted, p)).concat(sorted.at(-1) ?? Number.NaN);
  return `${label.padEnd(labelWidth)}${String(values.length).padStart(7)}${cells.map((v) => `${v.toFixed(2)} ms`.padStart(11)).join('')}`;
}

/** An instance answering `GET /api/me` with a bearer token (test/support/instance-process.ts). */
interface ProbedInstance {
  name: string;
  me(token: string): Promise<number>;
}

/** Probes `GET /api/me` back to back until 401; resolves the arrival time (performance.now()) of that 401. */
export async function refusedAt(instance: ProbedInstance, token: string, deadline: number): Promise<number> {
  for (;;) {
    const status = await instance.me(token);
    const at = performance.now();
    if (status === 401) return at;
    if (status !== 200) throw new Error(`${instance.name} answered ${status}`);
    if (at > deadline) throw new Error(`${instance.name} still accepts the token at the deadline`);
  }
}
