import { hash } from 'node:crypto';

/**
 * Bits of a registry bucket's number: 2^14 buckets. Enough that a registration rewrites about
 * 11 KB at a million sessions, few enough that the key overhead Redis pays per bucket (~100 B)
 * is shared by several sessions from ~100k sessions on (bench/RESULTS.md, section 3). Part of the
 * layout: every instance sharing a key prefix must use the same number.
 */
const BUCKET_BITS = 14;
export const REGISTRY_BUCKETS = 2 ** BUCKET_BITS;

/** Where a name lives in the registry, and what tells it apart from the other names there. */
export interface RegistryAddress {
  /** 0 to REGISTRY_BUCKETS - 1. */
  bucket: number;
  /** 8 base64url characters (48 bits of its hash); the bucket is its leading bits. */
  fingerprint: string;
}

/**
 * The address of a name: a record's member (`a` + app session id, `k` + sid) or an index's (`s`
 * + sid, `u` + sub). A hash, so that names spread evenly over the buckets whatever they look like.
 */
export function addressOf(name: string): RegistryAddress {
  const digest = hash('sha256', name, 'buffer');
  return { bucket: digest.readUInt16BE(0) >>> (16 - BUCKET_BITS), fingerprint: digest.toString('base64url', 0, 6) };
}

/** The bucket of the name a fingerprint was taken of. */
export function bucketOfFingerprint(fingerprint: string): number {
  return Buffer.from(fingerprint, 'base64url').readUInt16BE(0) >>> (16 - BUCKET_BITS);
}
