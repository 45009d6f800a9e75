/**
 * Checks an event a module hands to the log and turns it into the object that is hashed:
 * fields validated against the limits of `cw_audit_events`, personal data in `details`
 * redacted (members named as personal data, and phone numbers in any string of `details`
 * or in `reason`). Nothing is written for an event that fails.
 *
 * @module
 */
import { CallwardenError } from '../errors.js'
import { TENANT_ID_PATTERN } from '../lib/tenant-id.js'
import { REDACTION_TOKENS, redactPhoneNumbers } from '../masking/index.js'
import {
  AUDIT_ACTIONS,
  AUDIT_ACTION_PATTERN,
  AUDIT_EVENT_VERSION,
  AUDIT_OUTCOMES,
  type AuditEvent,
  type AuditEventInput,
} from './audit-event.js'
import { canonicalJson } from './canonical-json.js'

/** What replaces a redacted value in `details`. */
export const REDACTED = '[REDACTED]'
/** The longest `details`, as canonical JSON characters. */
export const MAX_DETAILS_CHARS = 16_384

// Printable text without control characters, for ids and names stored in key columns.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const LIMITS = {
  'actor.id': 191,
  'actor.role': 64,
  'actor.sourceAddress': 64,
  'target.type': 64,
  'target.id': 191,
  reason: 200,
} as const
const BUILT_IN = new Set<string>(AUDIT_ACTIONS)

function invalid(field: string, allowed: string): CallwardenError {
  return new CallwardenError(
    'ERR_AUDIT_EVENT_INVALID',
    `audit event field '${field}' is invalid; allowed: ${allowed}`,
  )
}

function text(value: unknown, field: keyof typeof LIMITS, optional = false): string | undefined {
  if (value === undefined && optional) return undefined
  const max = LIMITS[field]
  if (typeof value !== 'string' || value.length === 0 || value.length > max || CONTROL.test(value)) {
    throw invalid(field, `a non-empty string of at most ${max} characters without control characters`)
  }
  return value
}

/** A validated, redacted event, still without its place in the chain. */
export interface PreparedAuditEvent {
  readonly event: Omit<AuditEvent, 'seq' | 'id' | 'time'>
  /** `details` as canonical JSON, when there are details. */
  readonly detailsJson?: string
}

/**
 * Validates `input` and returns the event body to be sequenced (everything of
 * {@link AuditEvent} except `seq`, `id` and `time`) with its `details` as canonical JSON. `details` keys named in `redact` are
 * replaced by `[REDACTED]` at any depth, and phone numbers in every other string (keys
 * included) by `[PHONE]`, whatever the key is called.
 *
 * @internal
 */
export function prepareAuditEvent(input: AuditEventInput, redact: ReadonlySet<string>): PreparedAuditEvent {
  if (input === null || typeof input !== 'object') throw new TypeError('an audit event must be an object')
  if (typeof input.tenantId !== 'string' || !TENANT_ID_PATTERN.test(input.tenantId)) {
    throw invalid('tenantId', `a tenant id matching ${TENANT_ID_PATTERN}`)
  }
  const actor = input.actor as unknown
  if (actor === null || typeof actor !== 'object')
    throw invalid('actor', 'an object { id, role, sourceAddress? }')
  const target = input.target as unknown
  if (target === null || typeof target !== 'object') throw invalid('target', 'an object { type, id }')
  const a = actor as Record<string, unknown>
  const t = target as Record<string, unknown>
  const action = input.action as unknown
  if (
    typeof action !== 'string' ||
    action.length > 100 ||
    !(BUILT_IN.has(action) || AUDIT_ACTION_PATTERN.test(action))
  ) {
    throw invalid(
      'action',
      `a built-in action (${AUDIT_ACTIONS.join(', ')}) or a name matching ${AUDIT_ACTION_PATTERN}`,
    )
  }
  if (!(AUDIT_OUTCOMES as readonly unknown[]).includes(input.outcome)) {
    throw invalid('outcome', `one of ${AUDIT_OUTCOMES.join(', ')}`)
  }
  const sourceAddress = text(a.sourceAddress, 'actor.sourceAddress', true)
  const given = text(input.reason, 'reason', true)
  const reason = given === undefined ? undefined : redactPhoneNumbers(given)
  let details: Record<string, unknown> | undefined
  let detailsJson: string | undefined
  if (input.details !== undefined) {
    const given = input.details as unknown
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw invalid('details', 'a JSON object')
    }
    try {
      details = redactValue(given, redact) as Record<string, unknown>
      detailsJson = canonicalJson(details)
      const size = detailsJson.length
      if (size > MAX_DETAILS_CHARS) {
        throw invalid('details', `at most ${MAX_DETAILS_CHARS} characters as JSON (got ${size})`)
      }
    } catch (error) {
      if (error instanceof TypeError)
        throw invalid('details', `a JSON object (${error.message.replace(/^\$/, 'details')})`)
      throw error
    }
  }
  const event = {
    v: AUDIT_EVENT_VERSION,
    tenantId: input.tenantId,
    actor: {
      id: text(a.id, 'actor.id')!,
      role: text(a.role, 'actor.role')!,
      ...(sourceAddress === undefined ? {} : { sourceAddress }),
    },
    action,
    target: { type: text(t.type, 'target.type')!, id: text(t.id, 'target.id')! },
    outcome: input.outcome,
    ...(reason === undefined ? {} : { reason }),
    ...(details === undefined ? {} : { details }),
  }
  return detailsJson === undefined ? { event } : { event, detailsJson }
}

/**
 * A copy of `value` with every member named in `fields` replaced by `[REDACTED]`, and the
 * phone numbers in every string (member names too) replaced by `[PHONE]`, at any depth. A
 * JSON number whose digits are a phone number (`{ "asNumber": 13912345678 }`) becomes the
 * string `[PHONE]`. Timestamps, ids, amounts and other digit runs are kept. Plain data only; anything else is
 * left for canonical JSON to refuse.
 *
 * @internal
 */
export function redactValue(value: unknown, fields: ReadonlySet<string>, depth = 0): unknown {
  if (typeof value === 'string') return redactPhoneNumbers(value)
  if (typeof value === 'number' && Number.isInteger(value)) return redactNumber(value)
  if (value === null || typeof value !== 'object' || depth > 32) return value
  if (Array.isArray(value)) return value.map((item) => redactValue(item, fields, depth + 1))
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = {}
  for (const [key, member] of Object.entries(value)) {
    out[redactPhoneNumbers(key)] =
      fields.has(key) && member !== undefined ? REDACTED : redactValue(member, fields, depth + 1)
  }
  return out
}

/** `value`, or the string `[PHONE]` when its digits, read as text, are a phone number. */
function redactNumber(value: number): number | string {
  const digits = String(value)
  return redactPhoneNumbers(digits) === digits ? value : REDACTION_TOKENS.phone
}
