/**
 * `callwarden/policy` — call policy: number checks (invalid, emergency, premium-rate and
 * shared-cost numbers are never dialled), the per-tenant blacklist, do-not-call lists,
 * calling hours in the callee's local time, the consent ledger, attempt caps and the burst
 * guard, with their pipeline middleware. Policy fails closed: a check that cannot be
 * evaluated denies the call.
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
export {
  BlacklistSnapshots,
  type BlacklistSnapshotsOptions,
  type SnapshotEntry,
  type SnapshotSource,
} from './blacklist/blacklist-snapshot.js'
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
export {
  calleeLocale,
  loadCalleeLocaleData,
  localeOf,
  type CalleeLocale,
} from './calling-hours/callee-locale.js'
export {
  CALLING_HOURS_REASONS,
  CallingHoursEngine,
  evaluateCallingHours,
  type AttemptCapRule,
  type CallingHoursAllowed,
  type CallingHoursDecision,
  type CallingHoursDenied,
  type CallingHoursEngineOptions,
  type CallingHoursInput,
  type CallingHoursReason,
  type ZoneLocalTime,
} from './calling-hours/calling-hours-engine.js'
export {
  DEFAULT_OVERRIDE_PURPOSES,
  callingHoursOverridesSchema,
  parseCallingHoursOverrides,
  type CallingHoursOverrides,
  type CallingHoursOverridesInput,
} from './calling-hours/calling-hours-overrides.js'
export { callingHours, type CallingHoursOptions } from './calling-hours/calling-hours-middleware.js'
export { DEFAULT_RULE_PACK } from './calling-hours/default-rule-pack.js'
export {
  RULE_KINDS,
  RulePackInvalid,
  WEEKDAYS,
  attemptCapSchema,
  callingRuleSchema,
  callingWindowSchema,
  holidaySchema,
  parseRulePack,
  rulePackSchema,
  workdaySchema,
  type CallingRule,
  type CallingRuleInput,
  type CallingWindow,
  type Holiday,
  type RuleKind,
  type RulePack,
  type RulePackInput,
  type Weekday,
} from './calling-hours/rule-pack.js'
export {
  CONSENT_ABSENT_STATES,
  CONSENT_CHANNELS,
  CONSENT_FIELDS,
  CONSENT_PURPOSES,
  ConsentInvalid,
  MAX_CONSENT_EVIDENCE_LENGTH,
  MAX_CONSENT_REASON_LENGTH,
  MAX_CONSENT_SOURCE_LENGTH,
  type ConsentAbsentState,
  type ConsentChannel,
  type ConsentField,
  type ConsentPurpose,
} from './consent/consent-record.js'
export {
  ConsentService,
  MAX_CONSENT_HISTORY,
  type Consent,
  type ConsentCheck,
  type ConsentHistory,
  type ConsentRevocation,
  type ConsentServiceOptions,
  type GrantConsentRequest,
  type RevokeConsentTarget,
} from './consent/consent-service.js'
export {
  CONSENT_FOUND,
  DEFAULT_CONSENT_REQUIRED_FOR,
  consent,
  type ConsentMiddlewareOptions,
} from './consent/consent-middleware.js'
export {
  DEFAULT_ATTEMPT_CAPS,
  MAX_CAP_WINDOW_HOURS,
  tenantAttemptCaps,
  type AttemptCap,
  type AttemptCapSettings,
  type CapCount,
  type TenantAttemptCaps,
} from './attempts/attempt-cap.js'
export {
  AttemptLedger,
  type AttemptCapped,
  type AttemptDecision,
  type AttemptLedgerOptions,
  type AttemptRecorded,
  type TryRecordRequest,
} from './attempts/attempt-ledger.js'
export { attemptCap, type AttemptCapMiddlewareOptions } from './attempts/attempt-cap-middleware.js'
export {
  BURST_WINDOW_MS,
  BurstGuard,
  DEFAULT_CALLS_PER_SECOND,
  MAX_ANNOUNCED_PER_SECOND,
  MAX_ANNOUNCEMENT_MS,
  type AnnounceBurstRequest,
  type BurstAnnouncement,
  type BurstDecision,
  type BurstGuardOptions,
  type BurstPermit,
} from './rate/burst-guard.js'
export { burstGuard, type BurstGuardMiddlewareOptions } from './rate/burst-guard-middleware.js'
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
export type { Policy, PolicySettings } from './policy-service.js'
