interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Total sampled ms (idle included). */
  totalMs: number;
  /** Sampled ms of work (idle and program excluded). */
  busyMs: number;
  /** Share of busy (non-idle) time by where the code lives. */
  byArea: Array<{ area: string; share: number }>;
  /** Functions with the most self time, share of busy time. */
  top: Array<{ fn: string; where: string; share: number }>;
  /** Every function that was sampled: self time, and total time (itself and what it called), ms. */
  functions: FunctionTime[];
}

export interface FunctionTime {
  fn: string;
  where: string;
  area: string;
  selfMs: number;
  totalMs: number;
}

/** The library's own code (its build, dist/) in a profile. */
export const LIBRARY_AREA = 'nestjs-keycloak-logout (dist)';

/** Which part of the stack a frame belongs to: this library, a package, Node itself, or the engine. */
function area(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)' || functionName === '(idle)') return functionName;
    return 'native (V8/Node C++)';
  }
  if (url.startsWith('node:')) {
    if (url.includes('crypto')) return 'node:crypto';
    if (url.includes('http') || url.includes('net') || url.includes('stream')) return 'node:http/net/stream';
    return 'node: other';
  }
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage) return inPackage[1]!;
  if (/\/dist\//.test(url) && !url.includes('/bench/')) return LIBRARY_AREA;
  if (url.includes('/bench/')) return 'bench app code';
  return 'other';
}

function shortUrl(url: string): string {
  const inPackage = /node_modules\/(.*)$/.exec(url);
  if (inPackage) return inPackage[1]!;
  const dist = /\/(dist\/.*)$/.exec(url);
  if (dist) return dist[1]!;
  return url.replace(/^file:\/\//, '');
}

const keyOf = (node: ProfileNode) => `${node.callFrame.functionName}@${node.callFrame.url}:${node.callFrame.lineNumber}`;

export function summarizeProfile(profile: CpuProfile, topCount = 12): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfMs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  let totalMs = 0;
  let busyMs = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, FunctionTime>();
  const entryOf = (node: ProfileNode) => {
    const key = keyOf(node);
    let entry = functions.get(key);
    if (entry === undefined) {
      const { functionName, url, lineNumber } = node.callFrame;
      const where = area(url, functionName);
      entry = { fn: functionName || '(anonymous)', where: url ? `${shortUrl(url)}:${lineNumber + 1}` : where, area: where, selfMs: 0, totalMs: 0 };
      functions.set(key, entry);
    }
    return entry;
  };
  for (const [id, ms] of selfMs) {
    const node = nodes.get(id)!;
    const { functionName } = node.callFrame;
    totalMs += ms;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busyMs += ms;
    const entry = entryOf(node);
    areas.set(entry.area, (areas.get(entry.area) ?? 0) + ms);
    entry.selfMs += ms;
    // Total time: once per function on the stack, however often it recurses.
    const counted = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = nodes.get(at)!;
      const key = keyOf(frame);
      if (counted.has(key)) continue;
      counted.add(key);
      entryOf(frame).totalMs += ms;
    }
  }
  const all = [...functions.values()].filter((entry) => entry.totalMs > 0);
  return {
    totalMs,
    busyMs,
    byArea: [...areas].map(([name, ms]) => ({ area: name, share: ms / busyMs })).sort((a, b) => b.share - a.share),
    top: [...all]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topCount)
      .map((entry) => ({ fn: entry.fn, where: entry.where, share: entry.selfMs / busyMs })),
    functions: all,
  };
}

/**
 * Two profiles of the same server under two kinds of operation (`base`, then `other`), per
 * operation: the functions whose self time grew most, and the total time of `other`'s functions
 * in `area` (the library's, say), in µs per operation. The profiler's own overhead inflates
 * every figure alike; the differences are what to read.
 */
export function profileDiffMarkdown(base: { summary: ProfileSummary; operations: number }, other: { summary: ProfileSummary; operations: number }, area: string, title: string): string {
  const perOp = (ms: number, operations: number) => (ms * 1000) / operations;
  const baseSelf = new Map(base.summary.functions.map((entry) => [`${entry.fn}@${entry.where}`, entry.selfMs]));
  const grown = other.summary.functions
    .map((entry) => ({ entry, added: perOp(entry.selfMs, other.operations) - perOp(baseSelf.get(`${entry.fn}@${entry.where}`) ?? 0, base.operations) }))
    .sort((a, b) => b.added - a.added)
    .slice(0, 12);
  const owned = other.summary.functions
    .filter((entry) => entry.area === area)
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, 10);
  const us = (value: number) => value.toFixed(2);
  return [
    `${title}: busy CPU ${us(perOp(base.summary.busyMs, base.operations))} → ${us(perOp(other.summary.busyMs, other.operations))} µs per operation under the profiler.`,
    '',
    '| self time grown most (µs per operation) | at | added |',
    '| --- | --- | --- |',
    ...grown.map(({ entry, added }) => `| \`${entry.fn}\` | ${entry.where} | ${us(added)} |`),
    '',
    `| ${area}: total time (itself and what it called) | at | µs per operation |`,
    '| --- | --- | --- |',
    ...owned.map((entry) => `| \`${entry.fn}\` | ${entry.where} | ${us(perOp(entry.totalMs, other.operations))} |`),
  ].join('\n');
}

export function profileMarkdown(summary: ProfileSummary, title: string): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  return [
    `${title} (self time, share of busy CPU time of the server process):`,
    '',
    '| where | share |',
    '| --- | --- |',
    ...summary.byArea.slice(0, 10).map((row) => `| ${row.area} | ${pct(row.share)} |`),
    '',
    '| top functions | at | share |',
    '| --- | --- | --- |',
    ...summary.top.map((row) => `| \`${row.fn}\` | ${row.where} | ${pct(row.share)} |`),
  ].join('\n');
}
