import type { HttpAdapterHost } from '@nestjs/core';
import type { AccessTokenClaims } from '../tokens/access-token-claims.interface.js';
import type { KeycloakSessionData } from '../session/keycloak-session-data.interface.js';
import type { CredentialCarrier } from './credential-carrier.js';

/** What the guards leave on a call they admitted, by name. */
export type CredentialSlot = keyof CredentialCarrier;

const SLOTS: readonly CredentialSlot[] = ['accessTokenClaims', 'keycloakSession'];

/** The values of the slots, for requests whose prototype carries the accessors below. */
const stored: { [Slot in CredentialSlot]: WeakMap<object, CredentialCarrier[Slot]> } = {
  accessTokenClaims: new WeakMap<object, AccessTokenClaims | undefined>(),
  keycloakSession: new WeakMap<object, KeycloakSessionData | undefined>(),
};

/** Request prototypes given the accessors. */
const equipped = new WeakSet<object>();
/**
 * The prototype equipped last: with one Express app per process (the usual case) the only one,
 * so that telling where a slot is kept costs an identity comparison, and nothing at all while no
 * Express app was equipped (Fastify, the other contexts).
 */
let lastEquipped: object | undefined;
/** The last prototype found not equipped (a WebSocket client's, beside an Express app): its next carriers cost an identity comparison too. */
let lastBare: object | undefined;

/**
 * Express swaps the prototype of every request (`Object.setPrototypeOf(req, app.request)` in
 * `app.handle`), and V8 (Node 20) keeps no transition for a property added to an object after
 * such a swap: each `req.accessTokenClaims = …` built a new hidden class, about 12,000
 * instructions per request under callgrind, more than the rest of the bearer guard
 * (bench/RESULTS.md, sections 1 and 11). So for Express the guards keep what they leave in a WeakMap
 * beside the request, and the app's request prototype (`app.request`, Express's place for
 * additions to `req`) gets an accessor per slot that reads and writes it: `req.accessTokenClaims`
 * and `req.keycloakSession` read as before, and no request object grows.
 *
 * Returns the prototype equipped, or null when the app does not run on Express (Fastify's
 * requests keep their shape when a property is added) or the slots are taken already.
 */
export function equipExpressRequests(adapterHost: HttpAdapterHost | undefined): object | null {
  // An app without an HTTP server (a microservice, an application context) has no adapter.
  const adapter = adapterHost?.httpAdapter as HttpAdapterHost['httpAdapter'] | null | undefined;
  if (adapter === undefined || adapter === null || typeof adapter.getType !== 'function' || adapter.getType() !== 'express') return null;
  const prototype = adapter.getInstance<{ request?: unknown } | undefined>()?.request;
  if (typeof prototype !== 'object' || prototype === null) return null;
  if (equipped.has(prototype)) return prototype;
  if (SLOTS.some((slot) => Object.prototype.hasOwnProperty.call(prototype, slot))) return null;
  for (const slot of SLOTS) {
    const values = stored[slot] as WeakMap<object, unknown>;
    Object.defineProperty(prototype, slot, {
      configurable: true,
      enumerable: false,
      get(this: object) {
        return values.get(this);
      },
      set(this: object, value: unknown) {
        values.set(this, value);
      },
    });
  }
  equipped.add(prototype);
  lastEquipped = prototype;
  lastBare = undefined;
  return prototype;
}

/** Whether the carrier's slots are kept beside it: its prototype was equipped. */
function keptBeside(carrier: CredentialCarrier): boolean {
  if (lastEquipped === undefined) return false;
  const prototype = Object.getPrototypeOf(carrier) as object;
  if (prototype === lastEquipped) return true;
  if (prototype === lastBare) return false;
  const beside = equipped.has(prototype);
  if (!beside) lastBare = prototype;
  return beside;
}

/** Leaves `value` in the carrier's slot: beside it when its prototype was equipped, else on it. */
export function leaveCredential<Slot extends CredentialSlot>(carrier: CredentialCarrier, slot: Slot, value: CredentialCarrier[Slot]): void {
  if (keptBeside(carrier)) (stored[slot] as WeakMap<object, unknown>).set(carrier, value);
  else carrier[slot] = value;
}

/** What a guard left in the carrier's slot, wherever it was kept. */
export function credentialOf<Slot extends CredentialSlot>(carrier: CredentialCarrier, slot: Slot): CredentialCarrier[Slot] {
  return keptBeside(carrier) ? stored[slot].get(carrier) : carrier[slot];
}
