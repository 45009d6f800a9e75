/**
 * `callwarden/store` — databases, migrations, the data map, tenant scoping and leases.
 *
 * @module
 */
export { DataMap, templatePattern, type TenantTableRule } from './data-map/data-map.js'
export {
  DATA_CATEGORIES,
  PII_KINDS,
  SUBJECT_KINDS,
  TENANT_PLACEHOLDER,
  TIME_FORMATS,
  datasetDeclarationSchema,
  isTenantTemplate,
  type DataCategory,
  type DatasetDeclaration,
  type DatasetDeclarationInput,
  type PiiKind,
  type SubjectKind,
  type TimeFormat,
} from './data-map/dataset.js'
export {
  SQL_DIALECTS,
  openDatabase,
  redactUrl,
  type Database,
  type OpenDatabaseOptions,
  type SqlDialect,
} from './database.js'
export { DELETE_BATCH_SIZE, deleteByKeys, insertIfAbsent, upsert } from './dialect-helpers.js'
export { LeaseManager, type Lease, type LeaseManagerOptions } from './lease-manager.js'
export { migrate, type MigrateOptions, type MigrateReport } from './migrations/migrate.js'
export {
  AGENT_TERMINALS,
  CALL_DIRECTIONS,
  HANGUP_SIDES,
  INBOUND_ACCESS_STATUSES,
  OUTBOUND_ACCESS_STATUSES,
  REFERENCE_DATASETS,
  REFERENCE_TABLES,
  SATISFACTION_VALUES,
  type AccessStatus,
  type CallDirection,
  type ServiceRecordRow,
} from './reference-schema.js'
export { TenantGuardPlugin, type TenantGuardOptions } from './tenant-guard-plugin.js'
export {
  CORE_TENANT_COLUMN,
  CORE_TENANT_TABLES,
  CORE_TENANT_TABLE_RULES,
  type CoreTenantTable,
} from './tenant-tables.js'
export {
  GLOBAL_AUDIT_TENANT_ID,
  PROTECTION_MODES,
  RESERVED_TENANT_IDS,
  TENANT_STATUSES,
  TenantRegistry,
  assertTenantId,
  type NewTenant,
  type ProtectionMode,
  type Tenant,
  type TenantStatus,
} from './tenant-registry.js'
export { INSERT_BATCH_SIZE, TenantScope } from './tenant-scope.js'
export { toTimeValue } from './time-values.js'
