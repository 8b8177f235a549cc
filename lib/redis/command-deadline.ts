/** Rejects when `promise` has not settled within `ms`; the command itself may still complete later. */
function beforeDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The same commands, each failing after `ms`, transactions included (their exec()). For the
 * Sentinel client, which holds a command while its master is down until a failover completes
 * (its retry loop runs before the command is sent, where node-redis' own timeout does not
 * apply): a logout must be answered in bounded time, and its revocation queued meanwhile.
 * Replaying a revocation or a registration that was given up but then ran is harmless.
 */
export function withCommandDeadline<T extends object>(commands: T, ms: number): T {
  return new Proxy(commands, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise) return beforeDeadline(result, ms);
        // A transaction being built: its exec() gets the deadline too.
        return typeof result === 'object' && result !== null ? withCommandDeadline(result, ms) : result;
      };
    },
  });
}
