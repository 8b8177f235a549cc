/**
 * Deterministic ids shaped like production's, for the registry benchmarks: UUIDs for `sid` and
 * `sub`, 32 hexadecimal characters for the app's session id (express-session's are 32 characters).
 */
export function mix(i: number, salt: number): number {
  let x = Math.imul(i ^ Math.imul(salt, 0x27d4eb2d), 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  return x >>> 0;
}

export const hex = (n: number, length: number) => n.toString(16).padStart(8, '0').slice(-length);

export function uuid(i: number, salt: number): string {
  const a = mix(i, salt);
  const b = mix(i, salt + 1);
  const c = mix(i, salt + 2);
  return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 16, 3)}-a${hex(c, 3)}-${hex(c >>> 12, 4)}${hex(i, 8)}`;
}

export const adapterIdOf = (i: number) => `${hex(mix(i, 13), 8)}${hex(mix(i, 14), 8)}${hex(mix(i, 15), 8)}${hex(i, 8)}`;
