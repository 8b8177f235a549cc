import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DemoClient } from '../idp/demo-clients.js';
import { startKeycloakLikeOp, type KeycloakLikeOp } from '../idp/keycloak-like-op.js';
import { labelledLogger, startSampleApp } from './create-sample-app.js';
import type { SampleConfig } from './sample-config.js';

/** A reason the demo cannot start, worded for the person who ran `npm start`. */
export class DemoStartError extends Error {
  override readonly name = 'DemoStartError';
}

/** One of the demo's servers: its name, the variable that moves it, its port. */
interface DemoPort {
  name: 'idp' | 'app-a' | 'app-b';
  variable: 'IDP_PORT' | 'APP_A_PORT' | 'APP_B_PORT';
  port: number;
}

export interface RunningDemo {
  issuer: string;
  appUrls: { 'app-a': string; 'app-b': string };
  close(): Promise<void>;
}

const urlOf = (port: number) => `http://localhost:${port}`;

function portFrom(env: NodeJS.ProcessEnv, name: DemoPort['name'], variable: DemoPort['variable'], fallback: number): DemoPort {
  const given = env[variable];
  if (given === undefined || given.trim() === '') return { name, variable, port: fallback };
  const port = Number(given);
  if (!/^\d+$/.test(given.trim()) || port < 1 || port > 65_535) {
    throw new DemoStartError(`${variable} must be a TCP port between 1 and 65535, got "${given}".`);
  }
  return { name, variable, port };
}

/** The three ports, from IDP_PORT, APP_A_PORT and APP_B_PORT (defaults 8080, 3000, 3001). */
export function demoPorts(env: NodeJS.ProcessEnv): [DemoPort, DemoPort, DemoPort] {
  const ports: [DemoPort, DemoPort, DemoPort] = [
    portFrom(env, 'idp', 'IDP_PORT', 8080),
    portFrom(env, 'app-a', 'APP_A_PORT', 3000),
    portFrom(env, 'app-b', 'APP_B_PORT', 3001),
  ];
  for (const [index, one] of ports.entries()) {
    const other = ports.slice(index + 1).find((candidate) => candidate.port === one.port);
    if (other) throw new DemoStartError(`${one.name} and ${other.name} would both use port ${one.port}: set ${one.variable} or ${other.variable} to another port.`);
  }
  return ports;
}

/** A listen error as a sentence that names the variable moving the port; other errors unchanged. */
function explainListenError(error: unknown, where: DemoPort): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const move = `set ${where.variable} to a free port, e.g. \`${where.variable}=${where.port + 100} npm start\``;
  if (code === 'EADDRINUSE') {
    return new DemoStartError(`Port ${where.port} for ${where.name} is already in use (another demo or program is listening there). Stop it, or ${move}.`);
  }
  if (code === 'EACCES') return new DemoStartError(`Port ${where.port} for ${where.name} cannot be opened without privileges: ${move}.`);
  return error;
}

/**
 * `npm start`: an embedded Keycloak-like identity provider and two sample apps, app-a and
 * app-b, as two clients of one realm. Each app learns from the IdP who started a logout and
 * when (`logoutOrigin`), which its page shows. Rejects with a DemoStartError when a port is
 * taken or invalid, having closed whatever it had started. `extraClients` (from DEMO_CLIENTS)
 * are registered with the IdP too, for the developer's own apps.
 */
export async function startDemo(env: NodeJS.ProcessEnv, extraClients: readonly DemoClient[] = []): Promise<RunningDemo> {
  const [idpPort, ...appPorts] = demoPorts(env);
  const idpLogger = labelledLogger('idp', 'KeycloakLikeOp');
  let idp: KeycloakLikeOp;
  try {
    idp = await startKeycloakLikeOp({
      realm: 'demo',
      host: '127.0.0.1',
      port: idpPort.port,
      publicHost: 'localhost',
      autoConfirmLogout: true,
      logger: {
        log: (message) => idpLogger.log(message),
        error: (message, error) => idpLogger.error(message, error instanceof Error ? error.stack : undefined),
      },
      clients: appPorts.map((app) => ({
        clientId: app.name,
        clientSecret: `${app.name}-secret`,
        redirectUris: [`${urlOf(app.port)}/auth/callback`],
        postLogoutRedirectUris: [`${urlOf(app.port)}/auth/logout/return`],
        backchannelLogoutUri: `${urlOf(app.port)}/auth/backchannel-logout`,
      })),
    });
  } catch (error) {
    throw explainListenError(error, idpPort);
  }
  for (const client of extraClients) await idp.registerClient(client);

  const apps: NestExpressApplication[] = [];
  const close = async () => {
    for (const app of apps) await app.close();
    await idp.close();
  };
  for (const [index, app] of appPorts.entries()) {
    const other = appPorts[1 - index]!;
    const config: SampleConfig = {
      appName: app.name,
      issuer: idp.issuer,
      clientId: app.name,
      clientSecret: `${app.name}-secret`,
      port: app.port,
      host: '127.0.0.1',
      publicUrl: urlOf(app.port),
      sessionSecret: `demo-${app.name}-session-secret`,
      otherAppUrl: urlOf(other.port),
      logoutOrigin: (ended) => idp.logoutOrigin(ended),
    };
    try {
      apps.push(await startSampleApp(config));
    } catch (error) {
      await close();
      throw explainListenError(error, app);
    }
  }
  return { issuer: idp.issuer, appUrls: { 'app-a': urlOf(appPorts[0].port), 'app-b': urlOf(appPorts[1].port) }, close };
}
