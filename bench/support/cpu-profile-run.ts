import type { ProfileSummary } from './cpu-profile.js';
import type { ChildServer } from './processes.js';

/**
 * Profiles a running (warm) server's main thread while `drive` loads it. Work that runs on
 * the thread pool, such as WebCrypto signature checks, shows up as idle here: the "server
 * CPU (cores)" figures count every thread of the process.
 */
export async function profileServer(server: ChildServer, drive: () => Promise<unknown>): Promise<ProfileSummary> {
  await server.call('profileStart');
  await drive();
  return server.call<ProfileSummary>('profileStop');
}
