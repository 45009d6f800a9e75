/**
 * The number checks run before anything is dialled: a number that cannot be read, that
 * lies in no allocated range, that reaches an emergency service, or that is charged at a
 * premium (premium-rate) or above the normal rate (shared-cost) is never dialled
 * automatically. Calls to illegal numbers are the tenant's fault under the SLA, and a
 * dialler that reaches 110 or a premium line does harm that cannot be undone.
 *
 * @module
 */
import { isDigitRun, plainInternational } from '../../masking/number-plan.js'
import { NumberInvalid, parseNumber, type ParsedNumber } from '../../masking/phone-number.js'
import { regionsOfCallingCode } from '../calling-codes.js'
import { isEmergencyNumber } from './emergency-numbers.js'

/** The rules a number can break, in the order they are checked. */
export const NUMBER_CHECK_RULES = ['emergency', 'invalid', 'premium-rate', 'shared-cost'] as const
/** One rule. */
export type NumberCheckRule = (typeof NUMBER_CHECK_RULES)[number]

/** Options of {@link checkNumber}. */
export interface NumberCheckOptions {
  /**
   * Region national numbers (and bare short codes such as `110`) are read in.
   * @defaultValue `'CN'`
   */
  readonly defaultRegion?: string
  /**
   * Also refuse shared-cost numbers (UK 084x/087x, FR 081x, ...): the callee's line is
   * charged above the normal rate, which an automated dialler must not incur.
   * @defaultValue true
   */
  readonly blockSharedCost?: boolean
}

/** A number that may be dialled. */
export interface NumberAllowed {
  readonly allowed: true
  readonly parsed: ParsedNumber
}

/** A number that may not be dialled, with the rule and the facts (never the number). */
export interface NumberRefused {
  readonly allowed: false
  readonly rule: NumberCheckRule
  readonly message: string
  readonly details: Readonly<Record<string, string>>
}

/**
 * Checks one number against the rules. Never throws on bad data: an unreadable number is a
 * refusal with rule `invalid` and the parser's `problem`.
 *
 * @example
 * ```ts
 * checkNumber('110') // { allowed: false, rule: 'emergency', details: { rule: 'emergency', region: 'CN', shortCode: '110' }, ... }
 * checkNumber('+19005550123') // { allowed: false, rule: 'premium-rate', details: { rule: 'premium-rate', region: 'US', type: 'PREMIUM_RATE' }, ... }
 * checkNumber('+8613988888888') // { allowed: true, parsed: { e164: '+8613988888888', ... } }
 * ```
 */
export function checkNumber(input: string, options: NumberCheckOptions = {}): NumberAllowed | NumberRefused {
  if (typeof input !== 'string') {
    throw new TypeError(`a phone number must be a string, got ${input === null ? 'null' : typeof input}`)
  }
  const region = options.defaultRegion ?? 'CN'
  const emergency = emergencyCode(input, region)
  if (emergency !== undefined) {
    return refuse('emergency', `number is an emergency number of ${emergency.region}; never dialled`, {
      region: emergency.region,
      shortCode: emergency.code,
    })
  }
  let parsed: ParsedNumber
  try {
    parsed = parseNumber(input, { defaultRegion: region })
  } catch (error) {
    if (!(error instanceof NumberInvalid)) throw error
    return refuse('invalid', `number cannot be dialled: ${error.message}`, { problem: error.problem })
  }
  // libphonenumber gives a type only to numbers in an allocated range of their region.
  const type = parsed.type
  const facts = { region: parsed.region ?? 'none', countryCode: parsed.countryCode }
  if (type === undefined) {
    return refuse('invalid', 'number lies in no allocated range of its country; never dialled', {
      ...facts,
      problem: 'UNALLOCATED',
    })
  }
  if (type === 'PREMIUM_RATE') {
    return refuse('premium-rate', 'number is a premium-rate number; never dialled automatically', {
      ...facts,
      type,
    })
  }
  if (type === 'SHARED_COST' && (options.blockSharedCost ?? true)) {
    return refuse('shared-cost', 'number is a shared-cost number; never dialled automatically', {
      ...facts,
      type,
    })
  }
  return { allowed: true, parsed }
}

function refuse(rule: NumberCheckRule, message: string, facts: Record<string, string>): NumberRefused {
  return { allowed: false, rule, message, details: Object.freeze({ rule, ...facts }) }
}

const SEPARATORS = /[\s\-.()\u00a0\u2010-\u2015]/g
/** Emergency codes are two or three digits. */
const MIN_CODE_DIGITS = 2
/** The longest international form: a three-digit country code and a three-digit short code. */
const MAX_CODE_DIGITS = 6
const MAX_CALLING_CODE_LENGTH = 3

/**
 * The emergency short code `input` dials, if any: a bare code read in `region` (`110`), or
 * one written internationally (`+86110`, `0086110`, `+1 911`).
 */
function emergencyCode(input: string, region: string): { region: string; code: string } | undefined {
  const { digits, international } = dialledDigits(input)
  if (digits.length < MIN_CODE_DIGITS || digits.length > MAX_CODE_DIGITS || !isDigitRun(digits, 0)) {
    return undefined
  }
  if (!international) return isEmergencyNumber(digits, region) ? { region, code: digits } : undefined
  for (let length = 1; length <= MAX_CALLING_CODE_LENGTH && length < digits.length; length += 1) {
    const code = digits.slice(length)
    for (const r of regionsOfCallingCode().get(digits.slice(0, length)) ?? []) {
      if (isEmergencyNumber(code, r)) return { region: r, code }
    }
  }
  return undefined
}

/**
 * The digits `input` dials after `+` or `00`, and whether it had one. Digits with or without
 * `+` / `00`, the forms a dialler usually passes, need no rewriting; other notations (`tel:`,
 * separators) are cleaned first.
 */
function dialledDigits(input: string): { digits: string; international: boolean } {
  const plain = plainInternational(input)
  if (plain !== undefined) return { digits: plain.slice(1), international: true }
  if (isDigitRun(input, 0)) return { digits: input, international: false }
  const text = input.trim().replace(/^tel:/i, '').split(';')[0]!.replace(SEPARATORS, '')
  if (text.startsWith('+')) return { digits: text.slice(1), international: true }
  if (/^00[1-9]/.test(text)) return { digits: text.slice(2), international: true }
  return { digits: text, international: false }
}
