import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface InstructionCount {
  total: number;
  /** In functions of V8's garbage collector (by name, GARBAGE_COLLECTOR). */
  collector: number;
  /** In V8's compilers (COMPILER): optimising a function happens in one measurement, not in each. */
  compiler: number;
}

/** Instructions outside V8's garbage collector and compilers: the program's own work. */
export function programInstructions(count: InstructionCount): number {
  return count.total - count.collector - count.compiler;
}

/**
 * V8's garbage collector, by the names of its C++ functions: the scavenger, marking (incremental
 * and concurrent), compaction, sweeping and their visitors. The write barrier is left out: it runs
 * in the program's own stores. A major collection's concurrent marking lands in one measurement
 * or the next, so the collector's count is reported apart from the rest.
 */
const GARBAGE_COLLECTOR =
  /v8::internal::(?:\w+::)*(?:Scaveng|Marking|MarkCompact|ConcurrentMark|IncrementalMark|Sweep|Evacuat|PointersUpdating|RememberedSet|SlotSet|TypedSlot|Heap::|GCTracer|LiveObject|FreeList|PagedSpace|MemoryChunk|Ephemeron|WeakObjects|StringTableCleaner|BodyDescriptorBase::Iterate|HeapObject::SizeFromMap|RootScavenge|IterateObjectCache|MinorMark)|heap::base::|cppgc::/;

/** V8's compilers (TurboFan, Maglev, Sparkplug), by the names of their C++ functions. */
const COMPILER = /v8::internal::(?:\w+::)*(?:compiler|maglev|baseline|Zone|Compiler|OptimizingCompileDispatcher)/;

/**
 * Self instructions per function from a callgrind dump (positions: line, one event): cost lines
 * follow `fn=`; the line after `calls=` is the call's inclusive cost, counted in the callee.
 */
export function countOf(dump: string): InstructionCount {
  const summary = /^summary: (\d+)/m.exec(dump) ?? /^totals: (\d+)/m.exec(dump);
  if (summary === null) throw new Error('callgrind: a dump without totals');
  const names = new Map<string, string>();
  let area: 'collector' | 'compiler' | undefined;
  let afterCall = false;
  const counts = { collector: 0, compiler: 0 };
  for (const line of dump.split('\n')) {
    if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      const definition = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
      if (definition === null) continue;
      const name = definition[2] ?? names.get(definition[1]!) ?? '';
      if (definition[2] !== undefined) names.set(definition[1]!, definition[2]);
      if (line.startsWith('fn=')) area = GARBAGE_COLLECTOR.test(name) ? 'collector' : COMPILER.test(name) ? 'compiler' : undefined;
      continue;
    }
    if (line.startsWith('calls=')) {
      afterCall = true;
      continue;
    }
    const cost = /^[+\-*]?\d* (\d+)$/.exec(line);
    if (cost === null) continue;
    if (afterCall) afterCall = false;
    else if (area !== undefined) counts[area] += Number(cost[1]);
  }
  return { total: Number(summary[1]), ...counts };
}

/**
 * A server process run under valgrind's callgrind, which counts the instructions the process
 * executes (every thread: the main thread, V8's compiler and GC helpers). A count does not
 * depend on how busy the machine is, so two routes compare to a few parts in a thousand where
 * CPU seconds on this shared machine differ by tens of percent between adjacent measurements.
 * It does not see what memory latency costs (cache misses), which CPU seconds do.
 */
export class Callgrind {
  private readonly dir = mkdtempSync(join(tmpdir(), 'callgrind-'));

  /** Why callgrind cannot run here, or undefined when it can. */
  static unavailable(): string | undefined {
    try {
      execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
      execFileSync('callgrind_control', ['--version'], { stdio: 'ignore' });
      return undefined;
    } catch {
      return 'valgrind (with callgrind_control) is not installed: `apt-get install -y valgrind`';
    }
  }

  /** How to start Node under callgrind (see ChildServer.start); Node starts about 50 times slower. */
  launcher(): { command: string; args: string[]; startSeconds: number } {
    return { command: 'valgrind', args: ['--tool=callgrind', '--quiet', `--callgrind-out-file=${this.dir}/out.%p`], startSeconds: 600 };
  }

  /** Zeroes the counts of process `pid`. */
  reset(pid: number): void {
    execFileSync('callgrind_control', ['--zero', String(pid)], { stdio: 'ignore' });
  }

  /**
   * The instructions process `pid` executed since the last reset (callgrind_control answers once
   * the dump is written): in all, and in V8's garbage collector (see GARBAGE_COLLECTOR).
   */
  instructions(pid: number): InstructionCount {
    execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
    const dumps = readdirSync(this.dir).filter((file) => file.startsWith(`out.${pid}.`));
    if (dumps.length !== 1) throw new Error(`callgrind: expected one dump of ${pid}, found ${dumps.length}`);
    const file = join(this.dir, dumps[0]!);
    const count = countOf(readFileSync(file, 'utf8'));
    rmSync(file);
    return count;
  }

  close(): void {
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}
