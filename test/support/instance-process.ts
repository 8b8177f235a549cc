import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { InstanceCommand, InstanceConfig, InstanceReply } from './instance-main.js';

const REGISTER = fileURLToPath(new URL('./ts-register.js', import.meta.url));
const MAIN = fileURLToPath(new URL('./instance-main.ts', import.meta.url));

/** The instance's `GET /health`: the Redis backend's health(). */
export interface InstanceHealth {
  status: string;
  state: string;
  stale: boolean;
  unsharedRevocations: number;
  knownRevocations: number;
}

type Command = InstanceCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/**
 * An app instance in a separate Node process (test/support/instance-main.ts, compiled on the
 * fly by SWC): its own event loop, memory and Redis connections, like a pod.
 */
export class InstanceProcess {
  private output = '';
  private nextId = 1;
  private readonly pending = new Map<number, (reply: InstanceReply) => void>();
  private readonly exited: Promise<void>;
  url = '';

  private constructor(
    readonly name: string,
    readonly config: InstanceConfig,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.on('message', (message: InstanceReply | { type: 'ready'; url: string }) => {
      if ('id' in message) {
        this.pending.get(message.id)?.(message);
        this.pending.delete(message.id);
      }
    });
    this.exited = once(child, 'exit').then(() => undefined);
  }

  static async start(name: string, config: InstanceConfig, timeoutMs = 90_000): Promise<InstanceProcess> {
    const child = fork(MAIN, [], {
      execArgv: ['--import', REGISTER],
      env: { ...process.env, INSTANCE_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const instance = new InstanceProcess(name, config, child);
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms\n${instance.output}`)), timeoutMs);
      child.on('message', (message: { type?: string; url?: string }) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message.url!);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited during startup (${code ?? signal})\n${instance.output}`));
      });
    });
    instance.url = await ready;
    return instance;
  }

  /** Listens to the process's own messages (e.g. `applied` reports). */
  onMessage(listener: (message: Record<string, unknown>) => void): void {
    this.child.on('message', listener);
  }

  /** Everything the process printed (Nest's log lines). */
  get logs(): string {
    return this.output;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async call<T = unknown>(command: Command, timeoutMs = 10_000): Promise<T> {
    const id = this.nextId++;
    const reply = await new Promise<InstanceReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no reply to ${command.cmd}`)), timeoutMs);
      this.pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.child.send({ ...command, id });
    });
    if (!reply.ok) throw new Error(`${this.name}: ${command.cmd} failed: ${reply.error}`);
    return reply.result as T;
  }

  /** GET /api/me with the token; resolves the status. */
  async me(token: string): Promise<number> {
    const response = await fetch(`${this.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  }

  async health(): Promise<InstanceHealth> {
    const response = await fetch(`${this.url}/health`);
    return (await response.json()) as InstanceHealth;
  }

  /**
   * A clean shutdown: `app.close()`, then the process must exit by itself (it only does once
   * no socket or timer is left). Resolves the ms that took; rejects if it does not exit.
   */
  async close(timeoutMs = 10_000): Promise<number> {
    const started = Date.now();
    await this.call({ cmd: 'close' }, timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const exitedInTime = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!exitedInTime) {
      this.child.kill('SIGKILL');
      throw new Error(`${this.name} did not exit by itself after app.close(): something keeps it alive\n${this.output}`);
    }
    return Date.now() - started;
  }

  /** A crash: SIGKILL, nothing flushed. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
