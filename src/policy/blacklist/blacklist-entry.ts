/**
 * The blacklist entry model and the validation of what callers hand in: a number (stored
 * in E.164) or a number prefix (`+1201*`, stored as `+1201` with kind `prefix`), the
 * direction it blocks, a reason, an optional expiry.
 *
 * @module
 */
import { CallwardenError } from '../../errors.js'
import { NumberInvalid, normalizeNumber } from '../../masking/phone-number.js'
import { leadingCallingCode } from '../calling-codes.js'
import { INSTANT_FORMS, readInstant } from '../../lib/instant.js'

/** Which calls an entry blocks: calls from the number, calls to it, or both. */
export const BLACKLIST_DIRECTIONS = ['inbound', 'outbound', 'both'] as const
/** One direction. */
export type BlacklistDirection = (typeof BLACKLIST_DIRECTIONS)[number]

/** An entry matches one number exactly, or every number that starts with its prefix. */
export const BLACKLIST_KINDS = ['exact', 'prefix'] as const
/** One kind. */
export type BlacklistKind = (typeof BLACKLIST_KINDS)[number]

/** The longest reason kept, in characters. */
export const MAX_BLACKLIST_REASON_LENGTH = 500

/** A prefix has at least this many digits after `+` (a calling code alone is too broad). */
export const MIN_PREFIX_DIGITS = 3

/** The fields of an entry that callers give (the number is checked separately). */
export const BLACKLIST_ENTRY_FIELDS = ['number', 'direction', 'reason', 'expiresAt', 'callId', 'id'] as const
/** One field. */
export type BlacklistEntryField = (typeof BLACKLIST_ENTRY_FIELDS)[number]

/** A blacklist entry is malformed; `field` names what was wrong. The number is never in the message. */
export class BlacklistEntryInvalid extends CallwardenError {
  readonly field: BlacklistEntryField

  constructor(field: BlacklistEntryField, message: string, options?: { cause?: unknown }) {
    super('ERR_BLACKLIST_ENTRY_INVALID', `blacklist entry field '${field}': ${message}`, options)
    this.name = 'BlacklistEntryInvalid'
    this.field = field
  }
}

/** What an entry matches, as stored. */
export interface BlacklistPattern {
  readonly kind: BlacklistKind
  /** E.164 (`exact`) or `+` and digits without the `*` (`prefix`). */
  readonly pattern: string
}

const SEPARATORS = /[\s\-.()\u00a0\u2010-\u2015]/g

/**
 * Reads a number or a prefix as a blacklist entry stores it. A prefix ends in `*` and is
 * written internationally (`+1201*` or `001201*`): a national prefix would be ambiguous
 * between trunk prefixes and area codes. Numbers are read in `defaultRegion`.
 *
 * @example
 * ```ts
 * parseBlacklistPattern('13988888888', 'CN') // { kind: 'exact', pattern: '+8613988888888' }
 * parseBlacklistPattern('+1 201*', 'CN') // { kind: 'prefix', pattern: '+1201' }
 * ```
 */
export function parseBlacklistPattern(input: string, defaultRegion: string): BlacklistPattern {
  if (typeof input !== 'string') {
    throw new TypeError(`a blacklist number must be a string, got ${input === null ? 'null' : typeof input}`)
  }
  const text = input.trim()
  if (text.endsWith('*')) {
    let digits = text.slice(0, -1).replace(SEPARATORS, '')
    if (digits.startsWith('+')) digits = digits.slice(1)
    else if (digits.startsWith('00')) digits = digits.slice(2)
    else {
      throw new BlacklistEntryInvalid(
        'number',
        "a prefix must be written internationally ('+' or '00', country code, digits, then '*', e.g. '+1201*')",
      )
    }
    if (!/^[1-9]\d*$/.test(digits) || digits.length < MIN_PREFIX_DIGITS || digits.length > 15) {
      throw new BlacklistEntryInvalid(
        'number',
        `a prefix has ${MIN_PREFIX_DIGITS} to 15 digits after '+' and ends in a single '*'`,
      )
    }
    if (leadingCallingCode(digits) === undefined) {
      throw new BlacklistEntryInvalid('number', 'the prefix starts with no known country calling code')
    }
    return { kind: 'prefix', pattern: `+${digits}` }
  }
  try {
    return { kind: 'exact', pattern: normalizeNumber(text, { defaultRegion }) }
  } catch (error) {
    if (!(error instanceof NumberInvalid)) throw error
    throw new BlacklistEntryInvalid(
      'number',
      `not a phone number (${error.problem}); allowed: a number (E.164, '00' format or national) or an international prefix ending in '*'`,
      { cause: error },
    )
  }
}

/** Checks a direction; `undefined` means `both`. */
export function parseBlacklistDirection(value: unknown): BlacklistDirection {
  if (value === undefined || value === '') return 'both'
  if (typeof value === 'string' && (BLACKLIST_DIRECTIONS as readonly string[]).includes(value)) {
    return value as BlacklistDirection
  }
  throw new BlacklistEntryInvalid(
    'direction',
    `allowed: ${BLACKLIST_DIRECTIONS.join(', ')}; got ${typeof value === 'string' ? `'${value.slice(0, 20)}'` : typeof value}`,
  )
}

/** Checks a reason; empty means none. */
export function parseBlacklistReason(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string') throw new TypeError(`reason must be a string, got ${typeof value}`)
  if (value.length > MAX_BLACKLIST_REASON_LENGTH) {
    throw new BlacklistEntryInvalid(
      'reason',
      `at most ${MAX_BLACKLIST_REASON_LENGTH} characters; got ${value.length}`,
    )
  }
  return value
}

/** Checks an expiry: a time after `now`, or none. */
export function parseBlacklistExpiry(value: unknown, now: Date): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (!(value instanceof Date) && typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`expiresAt must be a Date or an RFC 3339 string, got ${typeof value}`)
  }
  const time = readInstant(value)
  if (time === undefined) throw new BlacklistEntryInvalid('expiresAt', `allowed: ${INSTANT_FORMS}`)
  if (time <= now.getTime()) {
    throw new BlacklistEntryInvalid('expiresAt', 'must lie in the future')
  }
  return time
}
