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
  /** Share of busy (non-idle) time by where the code lives. */
  byArea: Array<{ area: string; share: number }>;
  /** Functions with the most self time, share of busy time. */
  top: Array<{ fn: string; where: string; share: number }>;
}

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
  if (/\/dist\//.test(url) && !url.includes('/bench/')) return 'nestjs-keycloak-logout (dist)';
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

export function summarizeProfile(profile: CpuProfile, topCount = 12): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  let totalMs = 0;
  let busyMs = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; ms: number }>();
  for (const [id, ms] of selfMs) {
    const node = nodes.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    totalMs += ms;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busyMs += ms;
    const where = area(url, functionName);
    areas.set(where, (areas.get(where) ?? 0) + ms);
    const key = `${functionName}@${url}:${lineNumber}`;
    const entry = functions.get(key) ?? { fn: functionName || '(anonymous)', where: url ? `${shortUrl(url)}:${lineNumber + 1}` : where, ms: 0 };
    entry.ms += ms;
    functions.set(key, entry);
  }
  return {
    totalMs,
    byArea: [...areas].map(([name, ms]) => ({ area: name, share: ms / busyMs })).sort((a, b) => b.share - a.share),
    top: [...functions.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, topCount)
      .map((entry) => ({ fn: entry.fn, where: entry.where, share: entry.ms / busyMs })),
  };
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
