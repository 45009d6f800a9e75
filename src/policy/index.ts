/**
 * `callwarden/policy` — call policy: number checks (invalid, emergency, premium-rate and
 * shared-cost numbers are never dialled), the per-tenant blacklist and do-not-call lists,
 * with their pipeline middleware. Policy fails closed: a check that cannot be evaluated denies the call.
 *
 * @module
 */
export {
  EMERGENCY_NUMBERS,
  GLOBAL_EMERGENCY_NUMBERS,
  isEmergencyNumber,
  type EmergencyRegion,
} from './number-checks/emergency-numbers.js'
export {
  NUMBER_CHECK_RULES,
  checkNumber,
  type NumberAllowed,
  type NumberCheckOptions,
  type NumberCheckRule,
  type NumberRefused,
} from './number-checks/number-check.js'
export {
  PARSED_CALLEE_STATE,
  numberChecks,
  type NumberChecksOptions,
} from './number-checks/number-checks-middleware.js'
export {
  BLACKLIST_DIRECTIONS,
  BLACKLIST_ENTRY_FIELDS,
  BLACKLIST_KINDS,
  BlacklistEntryInvalid,
  MAX_BLACKLIST_REASON_LENGTH,
  MIN_PREFIX_DIGITS,
  parseBlacklistPattern,
  type BlacklistDirection,
  type BlacklistEntryField,
  type BlacklistKind,
  type BlacklistPattern,
} from './blacklist/blacklist-entry.js'
export { BLACKLIST_CSV_COLUMNS } from './blacklist/blacklist-csv.js'
export { bestMatch, candidatePatterns, type PatternRow } from './blacklist/blacklist-matching.js'
export { blacklist, type BlacklistMiddlewareOptions } from './blacklist/blacklist-middleware.js'
export {
  BlacklistService,
  type AddBlacklistByCallRequest,
  type AddBlacklistEntryRequest,
  type BlacklistChange,
  type BlacklistEntryView,
  type BlacklistImportError,
  type BlacklistImportReport,
  type BlacklistMatch,
  type BlacklistPage,
  type BlacklistServiceOptions,
  type CallRecordSource,
  type ImportBlacklistRequest,
  type ListBlacklistRequest,
  type TransactionalAuditSink,
} from './blacklist/blacklist-service.js'
export { DNC_LOAD_MODES, DNC_SCOPES, type DncLoadMode, type DncMatch, type DncScope } from './dnc/dnc-list.js'
export { DNC_LINE_PROBLEMS, type DncLineProblem } from './dnc/dnc-number-reader.js'
export { DNC_LIST_FORMATS, type DncListFormat, type DncListSource } from './dnc/dnc-source.js'
export {
  DNC_LIST_NAME_PATTERN,
  DncListInvalid,
  DncRegistry,
  type DncLineReport,
  type DncListInfo,
  type DncLoadReport,
  type DncLoadRequest,
  type DncRegistryOptions,
} from './dnc/dnc-registry.js'
export { dnc, type DncMiddlewareOptions } from './dnc/dnc-middleware.js'
export { createDncPolicy, type DncListConfig, type DncPolicy } from './dnc/dnc-policy.js'
export { POLICY_TABLES, POLICY_TENANT_TABLE_RULES } from './policy-tables.js'
export type { Policy } from './policy-service.js'
