/**
 * The one catalogue of callwarden's stable error codes.
 *
 * Codes are part of the public contract: callers branch on `error.code`, never on the
 * message text. Every code is documented in the README's error table; a test keeps the
 * two in step. Denial reasons in pipeline decisions use the same codes.
 *
 * @module
 */

/** Every stable error and denial code, with the one-line meaning documented in the README. */
export const ERROR_CODES = {
  ERR_CONFIG_INVALID: 'Configuration failed validation; the message names every bad field.',
  ERR_DATAMAP_INVALID:
    'A dataset declaration does not match the live schema or is malformed; names the dataset and column.',
  ERR_TENANT_INVALID: 'A tenant id is malformed or names no known tenant.',
  ERR_TENANT_INACTIVE: 'The tenant is suspended or terminated; calls are not placed for it.',
  ERR_TENANT_SCOPE: 'A query touched tenant data without a tenant predicate, or crossed tenants.',
  ERR_MIGRATION_FAILED: 'A schema migration failed; the store is left at the last good migration.',
  ERR_STORAGE_UNAVAILABLE:
    'The database or object store could not be reached, or could not serve the request now (a SQLite file locked by another process, a lock-wait timeout, a refused connection, an unusable file); `reason` says which.',
  ERR_LEASE_HELD: 'The job lease is held by another owner.',
  ERR_LEASE_LOST: 'The job lease expired or was taken over before it could be renewed or released.',
  ERR_LEASE_FENCED: 'A write was refused because a newer lease holder exists (stale fencing token).',
  ERR_BLOB_KEY_INVALID: 'An object key is empty, too long, or would escape its store.',
  ERR_BLOB_NOT_FOUND: 'No object exists under the key.',
  ERR_BLOB_DELETE_REFUSED: 'The object store refused to delete a version (Object Lock, legal hold).',
  ERR_BLOB_URL_INVALID: 'A presigned URL is malformed, forged or expired.',
  ERR_EVENT_INVALID: 'A call event is malformed; the message says which field and what is allowed.',
  ERR_TIME_INVALID:
    'A time names no instant: a date that does not exist (2026-02-30), no offset, not RFC 3339, an invalid Date or out of range; the message names the field and the forms allowed.',
  ERR_PIPELINE_MISUSE: 'A middleware broke the composition rules (next() called twice, next() not awaited).',
  ERR_POLICY_UNAVAILABLE:
    'A policy check could not be evaluated (infrastructure failure); the call is denied (fail closed).',
  ERR_POLICY_NUMBER_NOT_ALLOWED:
    'A number may not be dialled: invalid or unallocated, an emergency number, or a premium-rate or shared-cost number; `rule` says which.',
  ERR_POLICY_BLACKLISTED:
    "The caller (inbound) or callee (outbound) is on the tenant's blacklist; the details name the entry, never the number.",
  ERR_POLICY_DNC:
    'The callee is on a do-not-call list loaded for the tenant (or for all tenants); the details name the list, never the number.',
  ERR_POLICY_OUTSIDE_CALLING_HOURS:
    "The call falls outside the allowed calling hours in the callee's local time (or on a holiday); the details name the rule, its citation, the local time in each zone and the next allowed time.",
  ERR_POLICY_NO_CONSENT:
    'The call needs a live consent from the callee for its purpose, and none is on record (never granted, expired or revoked).',
  ERR_POLICY_ATTEMPT_CAP:
    'The callee has been called as often as the lowest applicable attempt cap allows in its rolling window; the details give the cap, the window, the count and the next allowed time.',
  ERR_POLICY_RATE_LIMITED:
    "The call would make a burst above the tenant's announced call rate (unannounced bursts of 5 calls per second or more are outside the SLA).",
  ERR_DNC_LIST_INVALID:
    'A do-not-call list or one of its lines is malformed (list name, number, file format); the message says which and what is allowed.',
  ERR_RULE_PACK_INVALID:
    'A calling-hours rule pack or a tenant override is malformed (window, zone, holiday, effective date, citation); the message says which field and what is allowed.',
  ERR_CONSENT_INVALID:
    'A consent grant or revocation is malformed (purpose, channel, source, evidence, expiry); the message says which field and what is allowed.',
  ERR_CONSENT_NOT_FOUND: "No consent with this id exists in the tenant's consent ledger.",
  ERR_BURST_ANNOUNCEMENT_INVALID:
    'An announced burst is malformed (rate, start, end, length); the message says which field and what is allowed.',
  ERR_BLACKLIST_ENTRY_INVALID:
    'A blacklist entry is malformed (number, prefix, direction, reason, expiry, CSV line); the message says which field and what is allowed.',
  ERR_BLACKLIST_ENTRY_NOT_FOUND: "No blacklist entry with this id exists in the tenant's blacklist.",
  ERR_CALL_NOT_FOUND:
    'No service record of the tenant has this call id, or it holds no readable customer number.',
  ERR_ROLE_FORBIDDEN:
    "The actor's role may not perform this action (e.g. only admins remove blacklist entries).",
  ERR_NUMBER_INVALID:
    'A phone number could not be read (not a number, too short, too long, unknown country); `problem` says which.',
  ERR_UID_UNRESOLVED:
    "A number or user id could not be mapped through the tenant's UID endpoint; `reason` says why. Agent views then show the number fully masked.",
  ERR_SCREENPOP_INSECURE_URL:
    'A screen-pop URL is not HTTPS (or carries credentials); screen pops open HTTPS pages only.',
  ERR_AUDIT_EVENT_INVALID:
    'An audit event is malformed (field, length, action name, details not JSON); the message names the field and what is allowed.',
  ERR_AUDIT_QUERY_INVALID:
    'An audit query filter or cursor is malformed; the message names the field and what is allowed.',
  ERR_AUDIT_KEY_INVALID:
    'The audit signing key or a verification key is missing, unreadable or not an Ed25519/P-256 JWK with a `kid`.',
  ERR_AUDIT_CHAIN_CONFLICT:
    'An append found the chain head changed under its lock (a fork attempt); nothing was written.',
  ERR_AUDIT_BUNDLE_INVALID:
    'An audit bundle or proof file cannot be read (not a zip, missing entry, malformed JSON).',
  ERR_AUDIT_PROOF_UNAVAILABLE:
    'No inclusion proof exists for the event: unknown or purged sequence number, or not yet covered by a signed checkpoint.',
  ERR_FILE_UNWRITABLE:
    'A file callwarden was asked to write cannot be created or replaced (missing directory, no permission, disk full); an existing file is left unchanged, nothing partial is left.',
  ERR_INTERNAL: 'An unexpected failure (a bug, or a dependency error callwarden does not classify).',
} as const satisfies Record<`ERR_${string}`, string>

/** A stable callwarden error or denial code. */
export type CallwardenErrorCode = keyof typeof ERROR_CODES

/** Every code, for exhaustive checks and documentation. */
export const CALLWARDEN_ERROR_CODES = Object.keys(ERROR_CODES) as readonly CallwardenErrorCode[]

/** True when `value` is one of the catalogued codes. */
export function isCallwardenErrorCode(value: unknown): value is CallwardenErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value)
}

/**
 * The base class of every error callwarden throws for bad data, bad configuration or an
 * unavailable dependency. Caller misuse (a wrong argument type) throws a plain `TypeError`.
 *
 * @example
 * ```ts
 * try {
 *   await createCallwarden({ databaseUrl: 'postgres://x' })
 * } catch (error) {
 *   if (error instanceof CallwardenError && error.code === 'ERR_CONFIG_INVALID') {
 *     console.error(error.message)
 *   }
 * }
 * ```
 */
export class CallwardenError extends Error {
  readonly code: CallwardenErrorCode

  constructor(code: CallwardenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'CallwardenError'
  }
}

/** One invalid field of a configuration or declaration. */
export interface InvalidField {
  /** Dotted path of the field, e.g. `datasets.0.tenantColumn`. */
  readonly path: string
  /** What was wrong and what is allowed. */
  readonly message: string
}

/** Configuration failed validation; `fields` lists every bad field. */
export class ConfigInvalid extends CallwardenError {
  readonly fields: readonly InvalidField[]

  constructor(fields: readonly InvalidField[], options?: { cause?: unknown }) {
    super(
      'ERR_CONFIG_INVALID',
      `invalid configuration: ${fields.map((f) => `${f.path || '(root)'}: ${f.message}`).join('; ')}`,
      options,
    )
    this.name = 'ConfigInvalid'
    this.fields = fields
  }
}

/** A dataset declaration is malformed or does not match the live schema. */
export class DataMapInvalid extends CallwardenError {
  readonly dataset: string
  readonly column: string | undefined

  constructor(dataset: string, column: string | undefined, reason: string) {
    super(
      'ERR_DATAMAP_INVALID',
      `dataset '${dataset}'${column === undefined ? '' : ` column '${column}'`}: ${reason}`,
    )
    this.name = 'DataMapInvalid'
    this.dataset = dataset
    this.column = column
  }
}

/** A query touched a tenant-scoped table without a tenant predicate, or crossed tenants. */
export class TenantScopeViolation extends CallwardenError {
  readonly table: string

  constructor(table: string, reason: string) {
    super('ERR_TENANT_SCOPE', `tenant scope violation on table '${table}': ${reason}`)
    this.name = 'TenantScopeViolation'
    this.table = table
  }
}

/** A write was refused because the caller's fencing token is stale. */
export class LeaseFenced extends CallwardenError {
  readonly lease: string
  readonly token: number

  constructor(lease: string, token: number) {
    super(
      'ERR_LEASE_FENCED',
      `lease '${lease}': fencing token ${token} is stale (the lease expired or another owner took it over); the write was refused`,
    )
    this.name = 'LeaseFenced'
    this.lease = lease
    this.token = token
  }
}

/** A middleware broke the pipeline's composition rules. */
export class PipelineMisuse extends CallwardenError {
  readonly middleware: string

  constructor(middleware: string, reason: string) {
    super('ERR_PIPELINE_MISUSE', `middleware '${middleware}': ${reason}`)
    this.name = 'PipelineMisuse'
    this.middleware = middleware
  }
}

/** Why a database could not serve a query; see {@link StorageUnavailable}. */
export const STORAGE_UNAVAILABLE_REASONS = [
  'busy',
  'lock-wait',
  'deadlock',
  'unreachable',
  'unusable',
] as const
/** One reason a database could not serve a query. */
export type StorageUnavailableReason = (typeof STORAGE_UNAVAILABLE_REASONS)[number]

/**
 * The database could not serve a query: another process holds its write lock (`busy`), a
 * row lock was not granted in time (`lock-wait`) or a transaction was chosen as a deadlock
 * victim (`deadlock`), the server cannot be reached or refused the connection
 * (`unreachable`), or the file cannot be opened or written (`unusable`). `retriable` is true
 * for conflicts that running the transaction again can resolve; `driverCode` is the
 * driver's own code (`SQLITE_BUSY`, `ECONNREFUSED`, ...). The driver error is the `cause`.
 */
export class StorageUnavailable extends CallwardenError {
  readonly reason: StorageUnavailableReason
  readonly retriable: boolean
  readonly driverCode: string

  constructor(
    reason: StorageUnavailableReason,
    driverCode: string,
    message: string,
    options: { readonly retriable: boolean; readonly cause?: unknown },
  ) {
    super('ERR_STORAGE_UNAVAILABLE', message, { cause: options.cause })
    this.name = 'StorageUnavailable'
    this.reason = reason
    this.retriable = options.retriable
    this.driverCode = driverCode
  }
}
