import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Every child this process started, so none outlives it even when a benchmark throws. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

/** CPU and memory of a server process, as its `usage` request reports them. */
export interface Usage {
  cpu: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
  at: number;
}

/**
 * A server under test in its own process (see support/child.ts): started from a compiled
 * script under bench/dist, configured through BENCH_CONFIG, driven over IPC.
 */
export class ChildServer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly info: Record<string, any>,
  ) {
    child.on('message', (message: Reply) => {
      const waiter = this.pending.get(message.id);
      if (waiter === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    child.on('exit', () => {
      running.delete(child);
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited`));
      this.pending.clear();
    });
  }

  /**
   * `script` is relative to bench/dist/bench/servers, e.g. `nest-app.js`; `env` is added to the
   * server's environment. `launcher` runs Node under another program (valgrind, say): Node's
   * path and flags follow the launcher's own arguments.
   */
  static start(
    name: string,
    script: string,
    config: unknown,
    execArgv: string[] = [],
    env: Record<string, string> = {},
    launcher?: { command: string; args: string[]; startSeconds: number },
  ): Promise<ChildServer> {
    const path = fileURLToPath(new URL(`../servers/${script}`, import.meta.url));
    const child = fork(path, [], {
      env: { ...process.env, ...env, BENCH_CONFIG: JSON.stringify(config), NODE_ENV: 'production' },
      ...(launcher === undefined ? { execArgv } : { execPath: launcher.command, execArgv: [...launcher.args, process.execPath, ...execArgv] }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    running.add(child);
    const startSeconds = launcher?.startSeconds ?? 60;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start within ${startSeconds} s`));
      }, startSeconds * 1000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited during startup (code ${code})`));
      });
      child.on('message', function onReady(message: { type?: string }) {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onReady);
        child.removeAllListeners('exit');
        resolve(new ChildServer(name, child, message as Record<string, any>));
      });
    });
  }

  get url(): string {
    return this.info.url as string;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T = unknown>(type: string, payload?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (value) => resolve(value as T), reject });
      this.child.send({ id, type, payload });
    });
  }

  usage(): Promise<Usage> {
    return this.call<Usage>('usage');
  }

  /** The server's CPU time so far, µs (user and system, every thread). */
  async cpuTime(): Promise<number> {
    const { cpu } = await this.usage();
    return cpu.user + cpu.system;
  }

  /** Asks the server to close and exit; kills it (this child only) if it does not within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call('stop').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Server CPU use between two usage samples, in cores (1.0 = one core busy all the time). */
export function coresUsed(before: Usage, after: Usage): number {
  const cpuMicros = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  const wallMillis = after.at - before.at;
  return wallMillis > 0 ? cpuMicros / 1000 / wallMillis : 0;
}

/** Server CPU time between two usage samples, in µs (every thread of the process). */
export function cpuMicros(before: Usage, after: Usage): number {
  return after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
}

/** Stops servers in parallel; never throws. */
export async function stopAll(servers: ChildServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
}
