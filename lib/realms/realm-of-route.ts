import { NotFoundException } from '@nestjs/common';
import type { FurtherRealm } from './realm.interface.js';
import type { RealmDirectory } from './realm-directory.service.js';

/**
 * The further realm a `{prefix}/realms/{name}/…` route is for. An unknown name is answered 404
 * (JSON, recorded as a refusal by the route's filter) before the body is even read.
 */
export function realmOfRoute(realms: RealmDirectory, name: string): FurtherRealm {
  const realm = realms.named(name);
  if (realm === undefined) throw new NotFoundException({ error: 'not_found', error_description: 'no realm of that name is configured for this app' });
  return realm;
}
