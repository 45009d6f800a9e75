/**
 * `callwarden` — the compliance, privacy and data-lifecycle layer of a cloud contact
 * center. `createCallwarden()` assembles the modules from one configuration.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { AUDIT_TENANT_TABLE_RULES } from './audit/audit-tables.js'
import { AuditTrail } from './audit/audit-trail.js'
import type { BlobStore } from './blob/blob-store.js'
import { openBlobStore } from './blob/create-blob-store.js'
import { systemClock, type Clock } from './clock.js'
import { loadConfig, parseConfig, type CallwardenConfig, type CallwardenConfigInput } from './config.js'
import { createLogger, type Logger } from './logger.js'
import { loadIvrHashSecret, tenantIvrHashKey } from './masking/ivr-hash-secret.js'
import { createMasking, type Masking } from './masking/masking-service.js'
import { POLICY_TENANT_TABLE_RULES } from './policy/policy-tables.js'
import { LIST_VERSIONS_TENANT_TABLE_RULE } from './store/list-versions.js'
import { createPolicy, type Policy } from './policy/policy-service.js'
import { createStandardChains, type StandardChains } from './standard-chains.js'
import { DataMap } from './store/data-map/data-map.js'
import { openDatabase, type Database } from './store/database.js'
import { LeaseManager } from './store/lease-manager.js'
import { migrate, type MigrateReport } from './store/migrations/migrate.js'
import { REFERENCE_DATASETS } from './store/reference-schema.js'
import { TenantGuardPlugin } from './store/tenant-guard-plugin.js'
import { TenantRegistry } from './store/tenant-registry.js'
import { TenantScope } from './store/tenant-scope.js'

export { ManualClock, systemClock, type Clock } from './clock.js'
export {
  DEFAULT_BLOB_URL,
  DEFAULT_CONFIG_FILE,
  DEFAULT_DATABASE_URL,
  configSchema,
  loadConfig,
  parseConfig,
  type CallwardenConfig,
  type CallwardenConfigInput,
  type LoadConfigOptions,
} from './config.js'
export {
  CALLWARDEN_ERROR_CODES,
  CallwardenError,
  ConfigInvalid,
  DataMapInvalid,
  ERROR_CODES,
  LeaseFenced,
  PipelineMisuse,
  STORAGE_UNAVAILABLE_REASONS,
  StorageUnavailable,
  TenantScopeViolation,
  isCallwardenErrorCode,
  type CallwardenErrorCode,
  type InvalidField,
  type StorageUnavailableReason,
} from './errors.js'
export {
  CALL_EVENT_PII_FIELDS,
  SECRET_FIELDS,
  createLogger,
  type CreateLoggerOptions,
  type Logger,
} from './logger.js'
export { tenantStatus, type StandardChains } from './standard-chains.js'

/** Options of {@link createCallwarden} besides the configuration. */
export interface CreateCallwardenOptions {
  /** @defaultValue the system clock */
  readonly clock?: Clock
  /** @defaultValue a redacting pino logger at the configured level */
  readonly logger?: Logger
  /**
   * Read `callwarden.config.json` and environment variables under the given configuration.
   * @defaultValue true
   */
  readonly loadEnvironment?: boolean
  /** A configuration file to read instead of `./callwarden.config.json`. */
  readonly configFile?: string
  /**
   * Run migrations before returning.
   * @defaultValue true
   */
  readonly migrate?: boolean
}

/** An assembled callwarden instance. */
export interface Callwarden {
  readonly config: CallwardenConfig
  readonly clock: Clock
  readonly logger: Logger
  readonly database: Database
  readonly blobs: BlobStore
  readonly dataMap: DataMap
  readonly tenants: TenantRegistry
  readonly leases: LeaseManager
  /** The standard call pipelines. */
  readonly pipeline: StandardChains
  /** Number views per role and protection mode, UID resolution, the tenants' UID clients. */
  readonly masking: Masking
  /** The audit trail: append, query, verify, export, prove, checkpoints, retention. */
  readonly audit: AuditTrail
  /**
   * Call policy: the per-tenant blacklist, consent ledger, attempt ledger and burst guard
   * (number checks run in the standard chains).
   */
  readonly policy: Policy
  /** What the start-up migration applied (empty when `migrate: false`). */
  readonly migrations: MigrateReport
  /** A scope through which one tenant's data is read and written. */
  scope(tenantId: string): TenantScope
  /** Closes the database and object store. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Assembles callwarden from configuration: opens the database and object store, migrates,
 * validates the data map against the live schema and builds the standard pipelines.
 *
 * @example
 * ```ts
 * import { createCallwarden } from 'callwarden'
 *
 * const cw = await createCallwarden() // embedded SQLite + local files
 * await cw.tenants.create({ id: 'acme', name: 'ACME' })
 * const decision = await cw.pipeline.outbound.run({
 *   tenantId: 'acme', callee: '+8613988888888', purpose: 'service',
 * })
 * decision.verdict // 'allow' | 'deny', with decision.reasons
 * await cw.close()
 * ```
 */
export async function createCallwarden(
  config: CallwardenConfigInput = {},
  options: CreateCallwardenOptions = {},
): Promise<Callwarden> {
  const resolved =
    options.loadEnvironment === false
      ? parseConfig(config)
      : loadConfig({
          overrides: config,
          ...(options.configFile === undefined ? {} : { file: options.configFile }),
        })
  const clock = options.clock ?? systemClock
  const dataMap = DataMap.from([
    ...(resolved.referenceSchema ? REFERENCE_DATASETS : []),
    ...resolved.datasets,
  ])
  const logger =
    options.logger ?? createLogger({ level: resolved.log.level, piiFields: dataMap.piiColumnNames() })
  // Secrets first: a missing one fails before anything is opened.
  const ivrHashSecret = loadIvrHashSecret({
    secret: resolved.masking.ivrHashSecret,
    file: resolved.masking.ivrHashSecretFile,
    generate: resolved.masking.generateIvrHashSecret,
  })
  const database = openDatabase(resolved.databaseUrl, { poolSize: resolved.poolSize })
  let blobs: BlobStore | undefined
  let anchors: BlobStore | undefined
  try {
    const migrations =
      options.migrate === false
        ? { applied: [], alreadyApplied: 0 }
        : await migrate(database, { referenceSchema: resolved.referenceSchema })
    if (resolved.validateDataMap) await dataMap.validateAgainst(database.db)
    blobs = openBlobStore(resolved.blobUrl, {
      clock,
      ...(resolved.s3Credentials === undefined ? {} : { credentials: resolved.s3Credentials }),
    })
    // Everything but the scope itself goes through a guard that demands a tenant predicate.
    const guarded = database.db.withPlugin(
      new TenantGuardPlugin({
        rules: [
          ...dataMap.tenantTableRules(),
          ...AUDIT_TENANT_TABLE_RULES,
          ...POLICY_TENANT_TABLE_RULES,
          LIST_VERSIONS_TENANT_TABLE_RULE,
        ],
      }),
    )
    const tenants = new TenantRegistry(guarded, clock, { recentMs: resolved.policy.listRefreshMs })
    const leases = new LeaseManager(guarded, {
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      clock,
    })
    const openedBlobs = blobs
    const a = resolved.audit
    anchors =
      a.anchor.blobUrl === undefined
        ? undefined
        : openBlobStore(a.anchor.blobUrl, {
            clock,
            ...(resolved.s3Credentials === undefined ? {} : { credentials: resolved.s3Credentials }),
          })
    const openedAnchors = anchors
    const audit = new AuditTrail({
      db: guarded,
      dialect: database.dialect,
      // Audit trails exist for registered tenants (and the global trail); the registry's
      // recent reads keep this off the append path's round trips.
      isRegistered: (tenantId, db) => tenants.isRegistered(tenantId, db),
      leases,
      anchors: openedAnchors ?? openedBlobs,
      keys: {
        ...(a.signingKey === undefined ? {} : { signingKey: a.signingKey }),
        signingKeyFile: a.signingKeyFile,
        generate: a.generateSigningKey,
        verificationKeys: a.verificationKeys,
      },
      clock,
      logger,
      redactFields: dataMap.piiColumnNames(),
      maxBatch: a.maxBatch,
      retentionDays: a.retentionDays,
      checkpoint: a.checkpoint,
      anchor: a.anchor,
    })
    const masking = createMasking({
      tenants,
      settings: resolved.masking,
      audit,
      clock,
      onAuditFailure: (error) => logger.error({ err: error }, 'a masking failure could not be audited'),
    })
    const scope = (tenantId: string): TenantScope => new TenantScope(database.db, dataMap, tenantId)
    const policy = createPolicy({
      db: guarded,
      dialect: database.dialect,
      audit,
      clock,
      tenants,
      protector: masking.protector,
      scope,
      listRefreshMs: resolved.policy.listRefreshMs,
      callingHours: resolved.policy.callingHours,
      // Attempt-ledger number keys use their own HKDF salt, so they never equal IVR hashes.
      numberKeySecret: ivrHashSecret,
      settings: resolved.policy,
    })
    // Configured do-not-call lists are in force before the first call is decided.
    await policy.dncPolicy.loadLists(resolved.policy.dnc.lists)
    const pipeline = createStandardChains({
      tenants,
      clock,
      logger,
      observeAllows: resolved.pipeline.observeAllows,
      decisionDeadlineMs: resolved.pipeline.decisionDeadlineMs,
      masking,
      policy,
      blockSharedCost: resolved.policy.blockSharedCost,
      ivrHashKey: (tenantId) => tenantIvrHashKey(ivrHashSecret, tenantId),
      ivrWithholdVariables: resolved.masking.ivrWithholdVariables,
    })
    let closing: Promise<void> | undefined
    const close = (): Promise<void> =>
      (closing ??= Promise.all([masking.close(), audit.close()])
        .finally(() => Promise.all([database.close(), openedBlobs.close(), openedAnchors?.close()]))
        .then(() => undefined))
    return {
      config: resolved,
      clock,
      logger,
      database,
      blobs: openedBlobs,
      dataMap,
      tenants,
      leases,
      pipeline,
      masking,
      audit,
      policy,
      migrations,
      scope,
      close,
      [Symbol.asyncDispose]: close,
    }
  } catch (error) {
    await Promise.allSettled([database.close(), blobs?.close(), anchors?.close()])
    throw error
  }
}
