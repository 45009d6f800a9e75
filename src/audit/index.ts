/**
 * `callwarden/audit` — the append-only, hash-chained audit trail: events, group-committed
 * appends, signed checkpoints anchored under Object Lock, auditor queries, online and
 * offline verification, inclusion proofs and retention.
 *
 * @module
 */
export {
  AUDIT_ACTIONS,
  AUDIT_ACTION_PATTERN,
  AUDIT_EVENT_VERSION,
  AUDIT_OUTCOMES,
  type AuditAction,
  type AuditActor,
  type AuditEvent,
  type AuditEventInput,
  type AuditOutcome,
  type AuditRecord,
  type AuditSink,
  type AuditTarget,
  type BuiltInAuditAction,
} from './audit-event.js'
export { GENESIS_HASH, chainHash, eventHash } from './audit-chain.js'
export {
  BUNDLE_VERSION,
  DEFAULT_BUNDLE_MAX_BYTES,
  MAX_BUNDLE_LINE_BYTES,
  readBundle,
  verifyBundle,
  type BundleManifest,
  type BundleReadOptions,
  type BundleVerifyReport,
  type ReadBundle,
  type VerifyBundleOptions,
} from './audit-bundle.js'
export {
  CHECKPOINT_JWS_TYPE,
  CHECKPOINT_VERSION,
  CHECKPOINT_VERSIONS,
  MANIFEST_JWS_TYPE,
  type CheckpointPayload,
  type StoredCheckpoint,
} from './audit-checkpoint.js'
export {
  ANCHOR_LOCK_MODES,
  AuditCheckpointer,
  anchorKey,
  type AnchorLockMode,
  type AuditCheckpointerOptions,
  type CheckpointRunResult,
} from './audit-checkpointer.js'
export {
  AUDIT_SIGNING_ALGORITHMS,
  AuditKeys,
  parseJwks,
  type AuditJwks,
  type AuditKeySource,
  type AuditSigningAlgorithm,
} from './audit-keys.js'
export {
  AuditLog,
  type AppendOptions,
  type AppendResult,
  type AuditLogOptions,
  type AuditTenantCheck,
  type ChainHead,
} from './audit-log.js'
export { PROOF_TYPE, verifyInclusionProof, type InclusionProof, type ProofVerdict } from './audit-proof.js'
export { AUDIT_TABLES, AUDIT_TENANT_TABLE_RULES } from './audit-tables.js'
export {
  AuditTrail,
  type AuditBundleExport,
  type AuditPage,
  type AuditPurgeResult,
  type AuditQuery,
  type AuditTrailOptions,
} from './audit-trail.js'
export {
  AUDIT_DAMAGE_KINDS,
  type AuditDamageKind,
  type AuditProblem,
  type AuditVerifyReport,
  type SeqRange,
} from './audit-verifier.js'
export { canonicalJson, type JsonValue } from './canonical-json.js'
export {
  MERKLE_LEAF_SPAN,
  checkpointMerkleRoot,
  merklePath,
  merkleRoot,
  merkleSpanLeaf,
  merkleSpanLeaves,
  verifyMerklePath,
} from './merkle-tree.js'
export { MAX_DETAILS_CHARS, REDACTED } from './validate-audit-event.js'
