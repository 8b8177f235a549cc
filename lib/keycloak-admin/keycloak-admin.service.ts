import { Injectable, Logger } from '@nestjs/common';
import { RevocationService } from '../revocation/revocation.service.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import type { AdminAction, AdminActionName } from '../tokens/admin-action.interface.js';
import { AdminActionVerifierService } from '../tokens/admin-action-verifier.service.js';

const SOURCE = { source: 'keycloak-admin' } as const;

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

  async handle(token: string, expected: AdminActionName): Promise<{ action: AdminAction; revocations: Revocation[] }> {
    const action = await this.verifier.verify(token, expected);
    const revocations: Revocation[] = [];
    if (action.action === 'LOGOUT') {
      for (const id of action.adapterSessionIds) revocations.push(...(await this.revocations.revokeAdapterSession(id, SOURCE)));
      for (const sid of action.keycloakSessionIds) revocations.push(...(await this.revocations.revokeSid(sid, SOURCE)));
    }
    const namesSessions = action.adapterSessionIds.length > 0 || action.keycloakSessionIds.length > 0;
    if (action.action === 'PUSH_NOT_BEFORE' || (action.action === 'LOGOUT' && action.notBefore > 0)) {
      revocations.push(...(await this.revocations.setNotBefore(action.notBefore, SOURCE)));
    }
    this.logger.log(this.describe(action, namesSessions));
    return { action, revocations };
  }

  private describe(action: AdminAction, namesSessions: boolean): string {
    switch (action.action) {
      case 'TEST_AVAILABILITY':
        return 'Keycloak admin: TEST_AVAILABILITY answered';
      case 'PUSH_NOT_BEFORE':
        return `Keycloak admin: PUSH_NOT_BEFORE, not-before now ${this.revocations.notBefore}`;
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
