/**
 * The consent model and the validation of what callers hand in: the purpose a consent
 * covers, the channel it was given through, where it came from, a reference to the evidence,
 * when it was granted and when it expires.
 *
 * @module
 */
import { CallwardenError } from '../../errors.js'
import { OUTBOUND_PURPOSES, type OutboundPurpose } from '../../pipeline/call-events.js'
import { INSTANT_FORMS, readInstant } from '../../lib/instant.js'

/** What a consent is for: the purposes of outbound calls. */
export const CONSENT_PURPOSES = OUTBOUND_PURPOSES
/** One purpose. */
export type ConsentPurpose = OutboundPurpose

/** How the person gave consent. */
export const CONSENT_CHANNELS = [
  'phone',
  'ivr',
  'sms',
  'email',
  'web',
  'app',
  'in_person',
  'written',
] as const
/** One channel. */
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number]

/**
 * Why no consent is live: none was ever granted for the purpose, the last one expired, or
 * the last one was revoked.
 */
export const CONSENT_ABSENT_STATES = ['none', 'expired', 'revoked'] as const
/** One state. */
export type ConsentAbsentState = (typeof CONSENT_ABSENT_STATES)[number]

/** The fields of a grant or revocation that callers give. */
export const CONSENT_FIELDS = [
  'number',
  'purpose',
  'channel',
  'source',
  'evidenceRef',
  'grantedAt',
  'expiresAt',
  'reason',
  'id',
] as const
/** One field. */
export type ConsentField = (typeof CONSENT_FIELDS)[number]

/** The longest source kept, in characters. */
export const MAX_CONSENT_SOURCE_LENGTH = 100
/** The longest evidence reference kept, in characters. */
export const MAX_CONSENT_EVIDENCE_LENGTH = 500
/** The longest revocation reason kept, in characters. */
export const MAX_CONSENT_REASON_LENGTH = 500

/** A grant or revocation is malformed; `field` names what was wrong. The number is never in the message. */
export class ConsentInvalid extends CallwardenError {
  readonly field: ConsentField

  constructor(field: ConsentField, message: string, options?: { cause?: unknown }) {
    super('ERR_CONSENT_INVALID', `consent field '${field}': ${message}`, options)
    this.name = 'ConsentInvalid'
    this.field = field
  }
}

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9 ._:/#@-]*$/
// Control characters (C0, DEL, C1) and line/paragraph separators have no place in a reference.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** Checks a purpose. */
export function parseConsentPurpose(value: unknown): ConsentPurpose {
  if (typeof value === 'string' && (CONSENT_PURPOSES as readonly string[]).includes(value)) {
    return value as ConsentPurpose
  }
  throw new ConsentInvalid('purpose', `allowed: ${CONSENT_PURPOSES.join(', ')}; got ${describe(value)}`)
}

/** Checks a channel. */
export function parseConsentChannel(value: unknown): ConsentChannel {
  if (typeof value === 'string' && (CONSENT_CHANNELS as readonly string[]).includes(value)) {
    return value as ConsentChannel
  }
  throw new ConsentInvalid('channel', `allowed: ${CONSENT_CHANNELS.join(', ')}; got ${describe(value)}`)
}

/**
 * Checks a source: where the consent came from, as an identifier (`crm`, `web:form-42`,
 * `campaign/spring-2030`), not free text.
 */
export function parseConsentSource(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CONSENT_SOURCE_LENGTH) {
    throw new ConsentInvalid(
      'source',
      `allowed: a string of 1 to ${MAX_CONSENT_SOURCE_LENGTH} characters; got ${describe(value)}`,
    )
  }
  if (!SOURCE.test(value)) {
    throw new ConsentInvalid(
      'source',
      "allowed: letters, digits, space and . _ : / # @ -, starting with a letter or digit (e.g. 'web:form-42')",
    )
  }
  return value
}

/**
 * Checks an evidence reference: where the proof is kept (a recording key, a form submission
 * id, a document URL), not the proof itself.
 */
export function parseConsentEvidence(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_CONSENT_EVIDENCE_LENGTH) {
    throw new ConsentInvalid(
      'evidenceRef',
      `allowed: a non-blank string of at most ${MAX_CONSENT_EVIDENCE_LENGTH} characters; got ${describe(value)}`,
    )
  }
  if (CONTROL.test(value)) {
    throw new ConsentInvalid('evidenceRef', 'allowed: text without control characters or line breaks')
  }
  return value
}

/** Checks a revocation reason; empty means none. */
export function parseConsentReason(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string') throw new TypeError(`reason must be a string, got ${typeof value}`)
  if (value.length > MAX_CONSENT_REASON_LENGTH) {
    throw new ConsentInvalid(
      'reason',
      `allowed: at most ${MAX_CONSENT_REASON_LENGTH} characters; got ${value.length}`,
    )
  }
  return value
}

/** Checks when a consent was granted: not after `now`; absent means `now`. */
export function parseConsentGrantedAt(value: unknown, now: Date): number {
  if (value === undefined || value === null || value === '') return now.getTime()
  const time = instant(value, 'grantedAt')
  if (time > now.getTime())
    throw new ConsentInvalid('grantedAt', 'allowed: a time not in the future (or none: now)')
  return time
}

/** Checks an expiry: after `grantedAt` and after `now`, or none. */
export function parseConsentExpiry(value: unknown, grantedAt: number, now: Date): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const time = instant(value, 'expiresAt')
  if (time <= now.getTime() || time <= grantedAt) {
    throw new ConsentInvalid(
      'expiresAt',
      'allowed: a time in the future and after grantedAt (or none: never)',
    )
  }
  return time
}

function instant(value: unknown, field: 'grantedAt' | 'expiresAt'): number {
  if (!(value instanceof Date) && typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`${field} must be a Date or an RFC 3339 string, got ${typeof value}`)
  }
  const time = readInstant(value)
  if (time === undefined) throw new ConsentInvalid(field, `allowed: ${INSTANT_FORMS}`)
  return time
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.slice(0, 20)}'${value.length > 20 ? '…' : ''}`
  return value === null ? 'null' : typeof value
}
