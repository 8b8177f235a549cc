import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Heap bytes by kind of object, from a full heap snapshot. */
function aggregate(): Map<string, number> {
  const file = writeHeapSnapshot(join(tmpdir(), `bench-${process.pid}-${Date.now()}.heapsnapshot`));
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  rmSync(file, { force: true });
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const totals = new Map<string, number>();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    let kind: string;
    switch (type) {
      case 'string':
        kind = 'strings (flat)';
        break;
      case 'concatenated string':
        kind = 'strings (concatenated, from template literals)';
        break;
      case 'sliced string':
        kind = 'strings (sliced)';
        break;
      case 'number':
        kind = 'heap numbers (e.g. expiry times)';
        break;
      case 'object':
        kind = `objects: ${name}`;
        break;
      case 'array':
        kind = name === '' ? 'arrays: (unnamed backing stores, e.g. Map tables)' : `arrays: ${name}`;
        break;
      case 'hidden':
        kind = `V8 internals: ${name}`;
        break;
      default:
        kind = type;
    }
    totals.set(kind, (totals.get(kind) ?? 0) + snapshot.nodes[i + sizeAt]!);
  }
  return totals;
}

/**
 * What `fill` adds to the heap, by kind of object, per unit (`count` units): two heap
 * snapshots around it, diffed. Run it while the heap is small (snapshots of a big heap are slow).
 */
export async function heapBreakdown<T>(count: number, fill: () => Promise<T>): Promise<{ kinds: Array<{ kind: string; bytes: number }>; kept: T }> {
  const before = aggregate();
  const kept = await fill();
  const after = aggregate();
  const kinds = [...after]
    .map(([kind, total]) => ({ kind, bytes: (total - (before.get(kind) ?? 0)) / count }))
    .filter((row) => row.bytes >= 4)
    .sort((a, b) => b.bytes - a.bytes);
  return { kinds, kept };
}
