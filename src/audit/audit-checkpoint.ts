/**
 * Signed checkpoints: what a checkpoint JWS says, and the names of the JWS types.
 *
 * @module
 */
import * as nodeCrypto from 'node:crypto'

/** The JWS `typ` of a checkpoint. */
export const CHECKPOINT_JWS_TYPE = 'cw-audit-checkpoint'
/** The JWS `typ` of a bundle manifest. */
export const MANIFEST_JWS_TYPE = 'cw-audit-manifest'

/** The object key of checkpoint `n`'s anchor (also listed next to it in a bundle). */
export function anchorKey(tenantId: string, n: number): string {
  return `audit/${tenantId}/checkpoints/${String(n).padStart(12, '0')}.jws`
}

/** The object key of the anchored copy of checkpoint `n`'s hash list (version 3), next to its JWS. */
export function hashesAnchorKey(tenantId: string, n: number): string {
  return anchorKey(tenantId, n).replace(/\.jws$/, '.hashes')
}

/**
 * The checkpoint format written now. Version 3 signs, besides a version 2 Merkle root, the
 * digest of its range's chain hashes ({@link hashesDigest}), so that with the stored hash
 * list verification can name the first event that differs from what was signed. Version 2
 * (a version 2 Merkle root alone) and version 1 (a leaf per chain hash) stay valid.
 */
export const CHECKPOINT_VERSION = 3
/** The checkpoint formats verification accepts. */
export const CHECKPOINT_VERSIONS = [1, 2, 3] as const
/** One checkpoint format. */
export type CheckpointVersion = (typeof CHECKPOINT_VERSIONS)[number]

/** The Merkle tree version a checkpoint format signs (version 3 keeps version 2's tree). */
export function merkleTreeVersion(v: CheckpointVersion): 1 | 2 {
  return v === 1 ? 1 : 2
}

/** A range's chain hashes (hex) as the hash list stores them: 32 bytes each, in order. */
export function packHashes(hashes: readonly string[]): Buffer {
  const packed = Buffer.alloc(32 * hashes.length)
  // One hex decode of the joined list costs less than one per hash.
  packed.write(hashes.join(''), 0, 'hex')
  return packed
}

/**
 * The `hashesDigest` a version 3 checkpoint signs: SHA-256 (lower-case hex) over its range's
 * chain hashes packed as {@link packHashes} does.
 */
export function hashesDigest(packed: Uint8Array): string {
  return nodeCrypto.createHash('sha256').update(packed).digest('hex')
}

/**
 * The payload of checkpoint `n` of a tenant: it covers events `fromSeq..toSeq` (the ones
 * after the previous checkpoint), and is linked to the previous checkpoint by that one's
 * signature, so a checkpoint cannot be removed from the middle unnoticed.
 */
export interface CheckpointPayload {
  /** The format, one of {@link CHECKPOINT_VERSIONS}; names the Merkle tree's version ({@link merkleTreeVersion}). */
  readonly v: CheckpointVersion
  readonly tenantId: string
  /** 1, 2, 3, ... per tenant. */
  readonly n: number
  readonly fromSeq: number
  readonly toSeq: number
  /** The chain hash of event `toSeq`. */
  readonly headHash: string
  /**
   * The RFC 6962 Merkle root over the chain hashes of `fromSeq..toSeq`: in version 2 over
   * leaves of up to 16 consecutive hashes, in version 1 with a leaf per hash.
   */
  readonly merkleRoot: string
  /**
   * Version 3: {@link hashesDigest} of the range's chain hashes. The hash list itself is
   * stored next to the checkpoint (database, anchor, bundle) and trusted only when it has
   * this digest.
   */
  readonly hashesDigest?: string
  /** The signature (third JWS segment) of checkpoint `n - 1`; `null` for the first. */
  readonly prevSignature: string | null
  /** When the checkpoint was signed, ISO 8601 UTC. */
  readonly issuedAt: string
}

/** A checkpoint as stored: its JWS and, once anchored, where the anchor copy is. */
export interface StoredCheckpoint {
  readonly n: number
  readonly fromSeq: number
  readonly toSeq: number
  readonly headHash: string
  readonly merkleRoot: string
  readonly kid: string
  readonly jws: string
  readonly anchorKey?: string
  /** Until when the anchor object is under Object Lock retention, when it is. */
  readonly anchorLockedUntil?: string
}

/** The signature segment of a compact JWS. */
export function jwsSignature(jws: string): string {
  return jws.slice(jws.lastIndexOf('.') + 1)
}

/** Reads a checkpoint payload's fields, or `undefined` when it is not one. @internal */
export function asCheckpointPayload(value: unknown): CheckpointPayload | undefined {
  const p = value as Record<string, unknown> | null
  if (p === null || typeof p !== 'object') return undefined
  const ints = ['v', 'n', 'fromSeq', 'toSeq'].every(
    (k) => Number.isSafeInteger(p[k]) && (p[k] as number) >= 0,
  )
  const strings = ['tenantId', 'headHash', 'merkleRoot', 'issuedAt'].every((k) => typeof p[k] === 'string')
  const prev = p.prevSignature === null || typeof p.prevSignature === 'string'
  const known = (CHECKPOINT_VERSIONS as readonly unknown[]).includes(p.v)
  // Version 3 must sign its hash list; the older formats have none.
  const digest =
    p.v === 3
      ? typeof p.hashesDigest === 'string' && /^[0-9a-f]{64}$/.test(p.hashesDigest)
      : p.hashesDigest === undefined
  return ints && strings && prev && known && digest ? (p as unknown as CheckpointPayload) : undefined
}

/**
 * The format version a stored checkpoint JWS says it has (its payload read without
 * checking the signature: for choosing how to build a proof, never for trusting it).
 *
 * @internal
 */
export function checkpointVersion(jws: string): number {
  try {
    const payload = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      v?: unknown
    }
    return typeof payload.v === 'number' ? payload.v : Number.NaN
  } catch {
    return Number.NaN
  }
}
