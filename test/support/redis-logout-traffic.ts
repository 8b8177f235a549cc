import { expect } from 'vitest';
import { keycloak26LogoutToken } from './keycloak-logout-tokens.js';
import type { FakeRealm } from './fake-realm.js';
import type { InstanceProcess } from './instance-process.js';
import { keycloakAccessToken } from './keycloak-access-token.js';
import { postForm } from './test-app.js';
import { waitFor } from './wait-for.js';

/** One back-channel logout and the access token of the session it ends. */
export interface SentLogout {
  token: string;
  /** The status the instance answered the OP with. */
  status: number;
  /** When the answer arrived (epoch ms). */
  at: number;
}

/** GET /api/me with `token` at each instance, in order. */
export function statusesAt(instances: readonly InstanceProcess[], token: string): Promise<number[]> {
  return Promise.all(instances.map((instance) => instance.me(token)));
}

/**
 * Back-channel logouts of fresh sessions, as an OP sends them: each session gets an access
 * token first, then the logout token goes to one instance. For the multi-instance tests on
 * the Redis topologies (single node, Sentinel, Cluster).
 */
export class LogoutTraffic {
  readonly sent: SentLogout[] = [];
  private count = 0;

  constructor(
    private readonly realm: FakeRealm,
    private readonly clientId: string,
    private readonly label: string,
  ) {}

  /** A token of a new session that no logout ends. */
  bystander(): Promise<string> {
    this.count += 1;
    return keycloakAccessToken(this.realm, { clientId: this.clientId, sub: `${this.label}-bystander-${this.count}`, sid: `${this.label}-bystander-sid-${this.count}` });
  }

  /** Ends a new session at `instance`; resolves what was sent and answered. */
  async logoutAt(instance: InstanceProcess): Promise<SentLogout> {
    this.count += 1;
    const sub = `${this.label}-user-${this.count}`;
    const sid = `${this.label}-sid-${this.count}`;
    const token = await keycloakAccessToken(this.realm, { clientId: this.clientId, sub, sid });
    const logoutToken = await keycloak26LogoutToken({ realm: this.realm, clientId: this.clientId, sid, sub });
    const response = await postForm(`${instance.url}/auth/backchannel-logout`, { logout_token: logoutToken });
    await response.arrayBuffer();
    const sent = { token, status: response.status, at: Date.now() };
    this.sent.push(sent);
    return sent;
  }

  /** Logouts answered 200 so far. */
  get acknowledged(): SentLogout[] {
    return this.sent.filter((logout) => logout.status === 200);
  }
}

/** One round of guarded requests at an instance during a failover, with its health then. */
export interface FailoverProbe {
  stale: boolean;
  bystander: number;
  revoked: number;
}

/**
 * Runs `step` over and over until `stop()`; `stop()` resolves once the last step has ended. For
 * a stream of logouts, or of probes, going on while a test kills a Redis node.
 */
export function repeatUntilStopped(step: () => Promise<unknown>): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) await step();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * Guarded requests at every instance, all along, with the instance's health read around each
 * pair: a pair during which the health changed is not kept, so every probe has one known state.
 */
export function probeDuringFailover(instances: readonly InstanceProcess[], bystander: string, revoked: string): { probes: FailoverProbe[]; stop(): Promise<void> } {
  const probes: FailoverProbe[] = [];
  const probing = repeatUntilStopped(async () => {
    for (const instance of instances) {
      const before = await instance.health();
      const bystanderStatus = await instance.me(bystander);
      const revokedStatus = await instance.me(revoked);
      const after = await instance.health();
      if (before.stale === after.stale) probes.push({ stale: before.stale, bystander: bystanderStatus, revoked: revokedStatus });
    }
  });
  return { probes, stop: () => probing.stop() };
}

/** The failure policy "refuse" held during a failover: 503 while stale, normal answers while fresh. */
export function expectFailurePolicyHeld(probes: readonly FailoverProbe[]): void {
  const stale = probes.filter((probe) => probe.stale);
  const fresh = probes.filter((probe) => !probe.stale);
  expect(stale.length).toBeGreaterThan(0);
  expect(stale.every((probe) => probe.bystander === 503 && probe.revoked === 503)).toBe(true);
  expect(fresh.every((probe) => probe.bystander === 200 && probe.revoked === 401)).toBe(true);
}

/**
 * After a Redis node was killed at `killedAt`: waits until every instance is fresh with nothing
 * left unshared and a logout sent since was acknowledged, then stops the stream of logouts.
 * Resolves when the instances were fresh again, and when the first logout sent after the kill
 * was acknowledged (logouts go one at a time, so the first answered after the kill may have been
 * sent before it and is passed over).
 */
export async function recoveryAfterKill(
  instances: readonly InstanceProcess[],
  traffic: LogoutTraffic,
  stream: { stop(): Promise<void> },
  killedAt: number,
): Promise<{ freshAt: number; firstAcknowledgedAfterKill: number }> {
  await waitFor(
    async () => (await Promise.all(instances.map((i) => i.health()))).every((h) => h.state === 'fresh' && h.unsharedRevocations === 0),
    'every instance fresh again with nothing left unshared',
    30_000,
  );
  const freshAt = Date.now();
  await waitFor(() => traffic.sent.some((logout) => logout.at > freshAt && logout.status === 200), 'a logout acknowledged after the failover', 10_000);
  await stream.stop();
  const firstAcknowledgedAfterKill = traffic.sent.filter((logout) => logout.at > killedAt).slice(1).find((logout) => logout.status === 200)!.at;
  return { freshAt, firstAcknowledgedAfterKill };
}
