import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import type { LogoutEvent } from '../revocation/logout-event.interface.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { SessionStoreAccess } from './session-store-access.service.js';

/**
 * The app session ids a logout ends: the one it names, and those the registry links to it. An
 * id named by a further realm (`issuer` set) counts only through the registry, which lists the
 * sessions of that realm alone: browser sessions are the primary realm's, and another realm's
 * Keycloak must not end them by naming their id.
 */
function sessionIdsOf(event: LogoutEvent): Set<string> {
  const ids = new Set<string>();
  if (event.revocation.type === 'adapter-session' && event.revocation.issuer === undefined) ids.add(event.revocation.adapterSessionId);
  for (const record of event.sessions) if (record.adapterSessionId !== undefined) ids.add(record.adapterSessionId);
  return ids;
}

/**
 * On every instance, when a logout ends sessions this app knows of, destroys them in the
 * session store right away (with the refresh tokens kept in them) and forgets them in the
 * registry. Without this a revoked session would only be destroyed on its next request, and
 * one never used again would sit in the store until the store expires it.
 */
@Injectable()
export class RevokedSessionDestroyer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RevokedSessionDestroyer.name);
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly revocations: RevocationService,
    private readonly registry: SessionRegistry,
    private readonly stores: SessionStoreAccess,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.revocations.onLogout((event) => this.destroy(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  private async destroy(event: LogoutEvent): Promise<void> {
    let destroyed = 0;
    for (const id of sessionIdsOf(event)) {
      try {
        if (await this.stores.destroy(id)) destroyed += 1;
      } catch (error) {
        // Not fatal: the session guard refuses and destroys it on its next request.
        this.logger.warn(`could not destroy a logged-out session in the session store: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await this.forget(event.sessions);
    if (destroyed > 0) this.logger.debug(`destroyed ${destroyed} logged-out session(s) in the session store`);
  }

  private async forget(records: SessionRecord[]): Promise<void> {
    for (const record of records) {
      try {
        await this.registry.remove(record);
      } catch (error) {
        this.logger.warn(`could not remove a logged-out session from the registry: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
