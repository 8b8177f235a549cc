import { timingSafeEqual } from 'node:crypto';

/** Compares two secrets (CSRF tokens, `state`, `nonce`) in constant time for equal lengths. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
