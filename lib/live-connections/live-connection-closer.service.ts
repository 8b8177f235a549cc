import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import type { LogoutEvent } from '../revocation/logout-event.interface.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { TrackedConnection } from './live-connection.interface.js';
import { LiveConnectionRegistry } from './live-connection-registry.service.js';

/** How long an app's `beforeClose` hook may hold a connection open. */
const BEFORE_CLOSE_TIMEOUT_MS = 1_000;

/** The close reason sent to the client: which kind of logout, never an identifier. */
export function logoutReason(event: LogoutEvent): string {
  return `logged out (${event.revocation.type})`;
}

/**
 * On every instance, closes the live connections a logout ends as soon as the instance learns
 * of it (`RevocationService.onLogout` fires on each instance in Redis mode, for every logout
 * path). Each connection gets the app's `beforeClose` hook first, then its own way of closing.
 */
@Injectable()
export class LiveConnectionCloser implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LiveConnectionCloser.name);
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly revocations: RevocationService,
    private readonly registry: LiveConnectionRegistry,
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.revocations.onLogout(async (event) => {
      await this.closeMatching(event);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Closes every registered connection the event's revocation ends; resolves how many. */
  async closeMatching(event: LogoutEvent): Promise<number> {
    const connections = this.registry.matching(event.revocation);
    await Promise.all(connections.map((connection) => this.close(connection, event)));
    if (connections.length > 0) this.logger.debug(`closed ${connections.length} live connection(s) at a ${event.revocation.type} logout`);
    return connections.length;
  }

  private async close(connection: TrackedConnection, event: LogoutEvent): Promise<void> {
    // Out of the registry first: a second logout of the same session does not close it twice.
    this.registry.remove(connection);
    await this.beforeClose(connection, event);
    try {
      await connection.close(event, logoutReason(event));
    } catch (error) {
      this.logger.warn(`could not close a ${connection.kind} at logout: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async beforeClose(connection: TrackedConnection, event: LogoutEvent): Promise<void> {
    const hook = this.options.liveConnections.beforeClose;
    if (hook === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => hook(connection, event)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, BEFORE_CLOSE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.logger.warn(`liveConnections.beforeClose failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
