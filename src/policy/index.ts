/**
 * `callwarden/policy` — call policy: number checks (invalid, emergency, premium-rate and
 * shared-cost numbers are never dialled) and the per-tenant blacklist, with their pipeline
 * middleware. Policy fails closed: a check that cannot be evaluated denies the call.
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
