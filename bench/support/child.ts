/**
 * The server side of the bench's process protocol. Each server under test runs in its own
 * process (forked by support/processes.ts): it reads its configuration from BENCH_CONFIG,
 * announces `{ type: 'ready', ...info }` once it listens on 127.0.0.1, and answers requests
 * `{ id, type, payload }` with `{ id, ok, result | error }`. Every server also answers
 * `usage` (CPU time and memory, so the bench can tell whether the server was the bottleneck)
 * and `stop`. It exits when the bench process goes away.
 */

import { Session } from 'node:inspector/promises';
import { summarizeProfile } from './cpu-profile.js';

export type Handler = (payload: any) => unknown;

interface Request {
  id: number;
  type: string;
  payload?: unknown;
}

export function readConfig<T>(): T {
  const raw = process.env.BENCH_CONFIG;
  if (raw === undefined) throw new Error('BENCH_CONFIG is not set: this script is started by the bench runner');
  return JSON.parse(raw) as T;
}

function send(message: unknown): void {
  process.send?.(message);
}

/** Answers the bench's requests; `close` runs on `stop`. Call `announce` once listening. */
export function serve(handlers: Record<string, Handler>, close: () => Promise<void> | void): { announce(info: Record<string, unknown>): void } {
  const all: Record<string, Handler> = {
    usage: () => ({ cpu: process.cpuUsage(), memory: process.memoryUsage(), at: performance.now() }),
    // A CPU profile of this process's main thread between the two requests (warm, no startup).
    profileStart: async () => {
      inspector ??= new Session();
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
      await inspector.post('Profiler.start');
      return true;
    },
    profileStop: async () => {
      if (inspector === undefined) throw new Error('no profile running');
      const { profile } = await inspector.post('Profiler.stop');
      inspector.disconnect();
      return summarizeProfile(profile as unknown as Parameters<typeof summarizeProfile>[0], 25);
    },
    ...handlers,
    stop: async () => {
      await close();
      setImmediate(() => process.exit(0));
      return true;
    },
  };
  let inspector: Session | undefined;
  process.on('message', (message: Request) => {
    const handler = all[message.type];
    void (async () => {
      try {
        if (handler === undefined) throw new Error(`unknown request ${message.type}`);
        send({ id: message.id, ok: true, result: await handler(message.payload) });
      } catch (error) {
        send({ id: message.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) });
      }
    })();
  });
  // The bench process died or let go of us: never linger.
  process.on('disconnect', () => process.exit(0));
  return { announce: (info) => send({ type: 'ready', ...info }) };
}
