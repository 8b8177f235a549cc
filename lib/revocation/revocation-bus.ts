import type { Revocation } from './revocation.interface.js';

export type RevocationListener = (revocations: Revocation[]) => void;

/** Health of the path that brings revocations to this instance. */
export interface RevocationBusHealth {
  /** True when this instance's view may miss revocations (e.g. the shared log is unreachable). */
  stale: boolean;
  /** Human-readable state, for logs and health endpoints. */
  detail: string;
}

/**
 * Carries revocations to every instance's RevocationStore. `publish` resolves once the
 * revocation is durable where the implementation keeps it and applied on this instance.
 * The default (LocalRevocationBus) is a single process; `nestjs-keycloak-logout/redis`
 * provides a shared one.
 */
export abstract class RevocationBus {
  abstract publish(revocations: Revocation[]): Promise<void>;
  abstract subscribe(listener: RevocationListener): void;
  abstract health(): RevocationBusHealth;

  /**
   * Called once at application bootstrap, after every listener subscribed and before the app
   * serves requests: a shared bus catches up with the revocations it missed here.
   */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Called at application shutdown: release connections. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Read by the guards on every call: one object, not a new one each time. */
const IN_PROCESS: RevocationBusHealth = Object.freeze({ stale: false, detail: 'in-process' });

/** Single-instance bus: publishing is applying. Never stale. */
export class LocalRevocationBus extends RevocationBus {
  private readonly listeners: RevocationListener[] = [];

  publish(revocations: Revocation[]): Promise<void> {
    for (const listener of this.listeners) listener(revocations);
    return Promise.resolve();
  }

  subscribe(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  health(): RevocationBusHealth {
    return IN_PROCESS;
  }
}
