/**
 * Inclusion proofs: one event, its Merkle audit path and the signed checkpoint whose root
 * the path leads to. An auditor checks a proof with the proof and a JWKS alone.
 *
 * @module
 */
import { CallwardenError } from '../errors.js'
import type { AuditEvent } from './audit-event.js'
import { HASH_PATTERN, eventHash } from './audit-chain.js'
import { asCheckpointPayload, CHECKPOINT_JWS_TYPE } from './audit-checkpoint.js'
import { verifyJws, type AuditJwks } from './audit-keys.js'
import { MERKLE_LEAF_SPAN, merkleSpanLeaf, verifyMerklePath } from './merkle-tree.js'

/** The `type` of a proof document. */
export const PROOF_TYPE = 'cw-audit-inclusion-proof'

/**
 * An inclusion proof. Its version is the version of the checkpoint it proves against
 * (`v`): in versions 2 and 3 (which share the tree) the leaf is the hash of the event's
 * span of up to 16 chain hashes, given in `span`; in version 1 the leaf is the event's
 * chain hash itself.
 */
export interface InclusionProof {
  readonly type: typeof PROOF_TYPE
  readonly v: 1 | 2 | 3
  /** The event, as recorded. */
  readonly event: AuditEvent
  /** The previous event's hash: the event's hash is SHA-256(prevHash ‖ canonical event). */
  readonly prevHash: string
  /** The event's chain hash. */
  readonly hash: string
  /**
   * Versions 2 and 3: the chain hashes of the events from `fromSeq + 16 × leafIndex` on (at most
   * 16) that the leaf covers, the event's among them at `(seq - fromSeq) mod 16`.
   */
  readonly span?: readonly string[]
  /** The leaf's index in the checkpoint's tree: `⌊(seq - fromSeq) / 16⌋` (version 1: `seq - fromSeq`). */
  readonly leafIndex: number
  /** The tree's leaves: `⌈events / 16⌉` (version 1: the checkpoint's events). */
  readonly treeSize: number
  /** Sibling hashes from the leaf up (RFC 9162). */
  readonly path: readonly string[]
  /** The signed checkpoint (compact JWS). */
  readonly checkpoint: string
}

/** What {@link verifyInclusionProof} found. */
export type ProofVerdict =
  | {
      readonly valid: true
      readonly tenantId: string
      readonly seq: number
      readonly checkpoint: number
      readonly kid: string
    }
  | { readonly valid: false; readonly reason: string }

/**
 * Checks a proof: the checkpoint's signature against `jwks`, that it covers the event's
 * tenant and sequence number, that the event hashes to the leaf, and that the path leads
 * from the leaf to the signed Merkle root.
 *
 * @example
 * ```ts
 * const verdict = await verifyInclusionProof(proof, jwks)
 * verdict.valid // true
 * ```
 */
export async function verifyInclusionProof(proof: InclusionProof, jwks: AuditJwks): Promise<ProofVerdict> {
  assertProofShape(proof)
  const signed = await verifyJws(proof.checkpoint, CHECKPOINT_JWS_TYPE, jwks)
  if (!signed.ok) return { valid: false, reason: `checkpoint: ${signed.detail}` }
  const cp = asCheckpointPayload(signed.payload)
  if (cp === undefined) return { valid: false, reason: 'the signed payload is not a checkpoint' }
  const { event } = proof
  if (cp.tenantId !== event.tenantId) {
    return {
      valid: false,
      reason: `the checkpoint is for tenant '${cp.tenantId}', the event for '${event.tenantId}'`,
    }
  }
  if (event.seq < cp.fromSeq || event.seq > cp.toSeq) {
    return { valid: false, reason: `checkpoint ${cp.n} covers ${cp.fromSeq}..${cp.toSeq}, not ${event.seq}` }
  }
  if (proof.v !== cp.v) {
    return { valid: false, reason: `a version ${proof.v} proof cannot use a version ${cp.v} checkpoint` }
  }
  const position = event.seq - cp.fromSeq
  const count = cp.toSeq - cp.fromSeq + 1
  const span = cp.v === 1 ? 1 : MERKLE_LEAF_SPAN
  if (proof.leafIndex !== Math.floor(position / span) || proof.treeSize !== Math.ceil(count / span)) {
    return { valid: false, reason: 'the leaf index or tree size does not match the checkpoint' }
  }
  let hash: string
  try {
    hash = eventHash(proof.prevHash, event)
  } catch (error) {
    return { valid: false, reason: `the event is not JSON: ${(error as Error).message}` }
  }
  if (hash !== proof.hash) return { valid: false, reason: 'the event does not hash to its chain hash' }
  let leaf = hash
  if (cp.v !== 1) {
    const hashes = proof.span ?? []
    if (hashes.length !== Math.min(MERKLE_LEAF_SPAN, count - MERKLE_LEAF_SPAN * proof.leafIndex)) {
      return { valid: false, reason: 'the span does not have the length its place in the checkpoint needs' }
    }
    if (hashes[position % MERKLE_LEAF_SPAN] !== hash) {
      return { valid: false, reason: 'the event’s chain hash is not in its place in the span' }
    }
    leaf = merkleSpanLeaf(hashes)
  }
  if (!verifyMerklePath(leaf, proof.leafIndex, proof.treeSize, proof.path, cp.merkleRoot)) {
    return { valid: false, reason: `the path does not lead to checkpoint ${cp.n}'s Merkle root` }
  }
  return { valid: true, tenantId: cp.tenantId, seq: event.seq, checkpoint: cp.n, kid: signed.kid }
}

/** Throws `ERR_AUDIT_BUNDLE_INVALID` unless `value` has the shape of a proof. */
export function assertProofShape(value: unknown): asserts value is InclusionProof {
  const p = value as Record<string, unknown> | null
  const ok =
    p !== null &&
    typeof p === 'object' &&
    p.type === PROOF_TYPE &&
    (p.v === 1 || ((p.v === 2 || p.v === 3) && Array.isArray(p.span) && p.span.every((h) => isHash(h)))) &&
    typeof p.event === 'object' &&
    p.event !== null &&
    Number.isSafeInteger((p.event as { seq?: unknown }).seq) &&
    typeof p.prevHash === 'string' &&
    HASH_PATTERN.test(p.prevHash) &&
    typeof p.hash === 'string' &&
    HASH_PATTERN.test(p.hash) &&
    Number.isSafeInteger(p.leafIndex) &&
    Number.isSafeInteger(p.treeSize) &&
    Array.isArray(p.path) &&
    p.path.every((h) => isHash(h)) &&
    typeof p.checkpoint === 'string'
  if (!ok) {
    throw new CallwardenError(
      'ERR_AUDIT_BUNDLE_INVALID',
      `not an inclusion proof; expected { type: '${PROOF_TYPE}', v: 1 | 2 | 3, event, prevHash, hash, span (v 2 and 3), leafIndex, treeSize, path, checkpoint }`,
    )
  }
}

function isHash(value: unknown): boolean {
  return typeof value === 'string' && HASH_PATTERN.test(value)
}
