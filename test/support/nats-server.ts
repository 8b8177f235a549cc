import { createConnection } from 'node:net';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * Whether the NATS server the RPC tests use answers. Without it the NATS suite skips with a
 * loud message, unless REQUIRE_NATS=1, where a missing server fails the suite.
 */
export async function checkNatsForSuite(suite: string): Promise<boolean> {
  const { hostname, port } = new URL(NATS_URL);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.setTimeout(1_000);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('INFO'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (reachable) return true;
  const message = `${suite}: no NATS server at ${NATS_URL} (set NATS_URL, or start nats-server)`;
  if (process.env.REQUIRE_NATS === '1') throw new Error(`${message}; REQUIRE_NATS=1 forbids skipping`);
  console.warn(`\n*** SKIPPING ${message} ***\n`);
  return false;
}
