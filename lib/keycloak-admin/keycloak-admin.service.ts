import { Injectable, Logger } from '@nestjs/common';
import { RevocationService } from '../revocation/revocation.service.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import type { AdminAction, AdminActionName } from '../tokens/admin-action.interface.js';
import { AdminActionVerifierService } from '../tokens/admin-action-verifier.service.js';

import type { Realm } from '../realms/realm.interface.js';

/** The realm an admin action was posted for: its name (none for the primary realm) and its verifier. */
export type AdminActionRealm = Pick<Realm, 'name' | 'adminActions'>;

/**
 * Carries out Keycloak's Admin URL callbacks (docs/keycloak-protocol.md §2.4):
 * - LOGOUT naming sessions (single-session logout): revoke those adapter sessions and sids;
 * - LOGOUT without ids ("Sign out all active sessions") and PUSH_NOT_BEFORE: client not-before;
 * - TEST_AVAILABILITY: nothing.
 */
@Injectable()
export class KeycloakAdminService {
  private readonly logger = new Logger(KeycloakAdminService.name);

  constructor(
    private readonly verifier: AdminActionVerifierService,
    private readonly revocations: RevocationService,
  ) {}

  /**
   * `realm`: a further realm whose Admin URL received the action; it is verified with that
   * realm's keys only and revokes in that realm only. Default: the primary realm.
   */
  async handle(token: string, expected: AdminActionName, realm?: AdminActionRealm): Promise<{ action: AdminAction; revocations: Revocation[] }> {
    const action = await (realm?.adminActions ?? this.verifier).verify(token, expected);
    const SOURCE = { source: 'keycloak-admin', realm: realm?.name } as const;
    const revocations: Revocation[] = [];
    if (action.action === 'LOGOUT') {
      for (const id of action.adapterSessionIds) revocations.push(...(await this.revocations.revokeAdapterSession(id, SOURCE)));
      for (const sid of action.keycloakSessionIds) revocations.push(...(await this.revocations.revokeSid(sid, SOURCE)));
    }
    const namesSessions = action.adapterSessionIds.length > 0 || action.keycloakSessionIds.length > 0;
    if (action.action === 'PUSH_NOT_BEFORE' || (action.action === 'LOGOUT' && action.notBefore > 0)) {
      revocations.push(...(await this.revocations.setNotBefore(action.notBefore, SOURCE)));
    }
    this.logger.log(`${this.describe(action, namesSessions, realm?.name)}${realm === undefined ? '' : ` (realm ${realm.name})`}`);
    return { action, revocations };
  }

  private describe(action: AdminAction, namesSessions: boolean, realm: string | undefined): string {
    switch (action.action) {
      case 'TEST_AVAILABILITY':
        return 'Keycloak admin: TEST_AVAILABILITY answered';
      case 'PUSH_NOT_BEFORE':
        return `Keycloak admin: PUSH_NOT_BEFORE, not-before now ${this.revocations.notBeforeOf(realm)}`;
      case 'LOGOUT':
        if (namesSessions) {
          return `Keycloak admin: LOGOUT of ${action.adapterSessionIds.length} adapter session(s) and ${action.keycloakSessionIds.length} Keycloak session(s)`;
        }
        return action.notBefore > 0
          ? `Keycloak admin: LOGOUT of every session issued before ${action.notBefore}`
          : 'Keycloak admin: LOGOUT naming no session and no not-before; nothing to do';
    }
  }
}
