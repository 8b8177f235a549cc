/**
 * Redis memory per tracked session of the Redis session registry, alone (benchmark 3 runs the
 * same measurement on the build and reports it in bench/RESULTS.md):
 *
 *   npm run bench:redis-memory          (SESSIONS=100000 by default)
 *
 * Runs on the sources (lib/redis), so a change to the registry's layout can be measured without
 * a build. Prints the figures; writes nothing.
 */
import { createRedisLogoutBackend } from '../lib/redis/index.js';
import { describeRedisMemory, measureRedisMemory, redisAvailable } from './support/redis-session-memory.js';

const SESSIONS = Number(process.env.SESSIONS ?? 100_000);

if (!redisAvailable()) throw new Error('redis-server is required for this benchmark (apt-get install redis-server)');
const memory = await measureRedisMemory(createRedisLogoutBackend, SESSIONS);
console.log(`Redis ${memory.redisVersion}\n${describeRedisMemory(memory).join('\n')}`);
