/**
 * The wire protocol of a tenant's UID-mapping endpoint (REQUIREMENTS.md §1), and the strict
 * reading of its responses.
 *
 * Request: `{"Numbers": ["13988888888"], "Mode": "PhoneToUID"}`; response:
 * `{"Code": 0, "Results": [{"Key": "13988888888", "Value": "139abcdefg"}]}`.
 *
 * @module
 */
import { CallwardenError } from '../../errors.js'
import { digitsIn, digitsShareRun } from '../digit-runs.js'
import { parseNumber, type ParsedNumber } from '../phone-number.js'

/** The two directions of the mapping. */
export const UID_MAPPING_MODES = ['PhoneToUID', 'UIDToPhone'] as const
/** One direction. */
export type UidMappingMode = (typeof UID_MAPPING_MODES)[number]

/** The request body, exactly as POSTed. */
export interface UidMappingRequest {
  readonly Numbers: readonly string[]
  readonly Mode: UidMappingMode
}

/** Why a number or UID could not be mapped. */
export const UID_UNRESOLVED_REASONS = [
  /** The endpoint answered but left this key out of `Results`. */
  'not_found',
  /** The endpoint's answer broke the protocol (shape, unrequested keys, a bad value). */
  'invalid_response',
  /** The endpoint answered with a non-zero `Code` or a 4xx status. */
  'rejected',
  /** The endpoint refused the credentials (401 after one token refresh). */
  'unauthorized',
  /** No answer within the timeout, after the retries. */
  'timeout',
  /** Network errors or 5xx answers, after the retries. */
  'unavailable',
  /** The circuit breaker is open after repeated failures; no request was sent. */
  'circuit_open',
  /** The input is not a UID (empty, too long, characters outside `[A-Za-z0-9._~-]`). */
  'invalid_input',
  /** The client was closed. */
  'closed',
  /** The tenant has no UID endpoint configured. */
  'not_configured',
] as const
/** One reason. */
export type UidUnresolvedReason = (typeof UID_UNRESOLVED_REASONS)[number]

/**
 * A number or UID could not be mapped. The message names the direction, the reason and a
 * count, never a number or a UID.
 */
export class UidUnresolved extends CallwardenError {
  readonly mode: UidMappingMode
  readonly reason: UidUnresolvedReason
  /** How many of the requested keys failed. */
  readonly count: number
  /** What went wrong, without the direction and count the message starts with. */
  readonly detail: string

  constructor(
    mode: UidMappingMode,
    reason: UidUnresolvedReason,
    detail: string,
    options?: { count?: number; cause?: unknown },
  ) {
    const count = options?.count ?? 1
    super(
      'ERR_UID_UNRESOLVED',
      `${mode}: ${count} key${count === 1 ? '' : 's'} unresolved (${reason}): ${detail}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    )
    this.name = 'UidUnresolved'
    this.mode = mode
    this.reason = reason
    this.count = count
    this.detail = detail
  }
}

/** The longest UID accepted, in characters. */
export const MAX_UID_LENGTH = 64

/**
 * What a UID may be made of: URL-safe ASCII (RFC 3986 unreserved characters), so that it
 * can sit in an agent's desk, a log line and a screen-pop URL as it is, and carries no
 * markup, no look-alike digits and nothing an agent's browser would interpret.
 */
export const UID_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/

/**
 * The most consecutive digits a UID may share with the national number it stands for; five
 * or more refuse it. The protocol's own `139abcdefg` (for `13988888888`) shares three.
 */
export const UID_MAX_SHARED_DIGITS = 4

/** Returns why `uid` is not an acceptable UID, or `undefined` when it is. */
export function uidProblem(uid: unknown): string | undefined {
  if (typeof uid !== 'string') return 'not a string'
  if (uid.length === 0) return 'empty'
  if (uid.length > MAX_UID_LENGTH) return `longer than ${MAX_UID_LENGTH} characters`
  if (!UID_PATTERN.test(uid)) return 'not made of A-Z, a-z, 0-9, ., _, ~ and - only'
  return undefined
}

/**
 * Returns why `uid` may not stand for `number`, or `undefined` when it may. It must be an
 * acceptable UID ({@link uidProblem}) and may not carry the number readably:
 *
 * - share more than {@link UID_MAX_SHARED_DIGITS} consecutive digits with the national
 *   number, forwards or reversed, compared after NFKC and with every script's digits read
 *   as ASCII (so `１３９８８８８８８８８`, `٣٩٨٨٨٨٨٨٨٨٨`, `3988888888` and `88888888931` are
 *   all refused for `13988888888`);
 * - spell such a run in English digit words, run together or separated, in any case
 *   (`onethreenine…`, `One-Three-Nine…`);
 * - read as a valid phone number itself, in E.164 without its `+`, in `00` form or national
 *   in the number's own region: another customer's number is as much a leak.
 *
 * An endpoint that answers numbers would otherwise put them in agents' views. A UID that
 * encodes the number (hex, base36, a cipher, shifted digits) is not readable as digits and
 * cannot be told from an opaque id: the endpoint is the tenant's own.
 *
 * @internal
 */
export function uidValueProblem(
  uid: unknown,
  number: Pick<ParsedNumber, 'nationalNumber' | 'region'>,
): string | undefined {
  const problem = uidProblem(uid)
  if (problem !== undefined || typeof uid !== 'string') return problem
  const national = number.nationalNumber
  const reversed = [...national].reverse().join('')
  const run = UID_MAX_SHARED_DIGITS + 1
  const readings = DIGIT_WORD.test(uid) ? [digitsIn(uid), spelledDigits(uid)] : [digitsIn(uid)]
  for (const digits of readings) {
    if (digitsShareRun(digits, national, run) || digitsShareRun(digits, reversed, run)) {
      return 'carries digits of the number it stands for'
    }
  }
  if (readsAsPhoneNumber(uid, number.region)) return 'reads as a phone number'
  return undefined
}

/** English digit words, by value. */
const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const
/** Any of {@link DIGIT_WORDS}: most UIDs hold none, and are not read letter by letter. */
const DIGIT_WORD = new RegExp(DIGIT_WORDS.join('|'), 'i')

/**
 * The digits of `text` with English digit words read as digits too, in order. Words are
 * looked for at every position, so words sharing a letter (`eightwo`) are both read.
 */
function spelledDigits(text: string): string {
  const lower = text.toLowerCase()
  let digits = ''
  for (let at = 0; at < lower.length; at += 1) {
    const char = lower[at] as string
    if (char >= '0' && char <= '9') {
      digits += char
      continue
    }
    const value = DIGIT_WORDS.findIndex((word) => lower.startsWith(word, at))
    if (value !== -1) digits += String(value)
  }
  return digits
}

/** Separators a UID may hold (see {@link UID_PATTERN}); a number written with them is still one. */
const UID_SEPARATORS = /[._~-]/g

/**
 * True when `uid`, without its separators, is all digits and reads as a valid phone number:
 * with a `+` before it, or as written (`00` form or national) in `region`. Ids such as
 * `u-10023` or `139abcdefg` hold letters and are never read.
 */
function readsAsPhoneNumber(uid: string, region: string | undefined): boolean {
  const digits = uid.replace(UID_SEPARATORS, '')
  if (!/^[0-9]+$/.test(digits)) return false
  return [`+${digits}`, digits].some((text) => {
    try {
      return parseNumber(text, region === undefined ? {} : { defaultRegion: region }).type !== undefined
    } catch {
      return false
    }
  })
}

/** What the response said about one requested key. */
export type KeyOutcome =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: UidUnresolvedReason; readonly detail: string }

/**
 * Reads a response body strictly. Problems with the response as a whole (not an object, a
 * non-zero `Code`, `Results` not an array of `{Key, Value}` strings, a key that was not
 * asked for, one key given two values) throw {@link UidUnresolved} for every key. Problems
 * with one key (left out, or a value `checkValue` refuses) fail that key only, so one bad
 * entry does not take down the lookups batched with it.
 *
 * @internal
 */
export function readUidMappingResponse(
  mode: UidMappingMode,
  body: unknown,
  requested: readonly string[],
  checkValue: (key: string, value: string) => string | undefined,
): Map<string, KeyOutcome> {
  const whole = (reason: UidUnresolvedReason, detail: string) =>
    new UidUnresolved(mode, reason, detail, { count: requested.length })
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw whole('invalid_response', 'the response body is not a JSON object')
  }
  const { Code: code, Results: results } = body as Record<string, unknown>
  if (typeof code !== 'number' || !Number.isInteger(code)) {
    throw whole('invalid_response', '`Code` is missing or not an integer')
  }
  // A code is echoed only while it is short: a hostile endpoint could answer a number as one.
  if (code !== 0) {
    throw whole(
      'rejected',
      `the endpoint answered ${Math.abs(code) < 10_000 ? `Code ${code}` : 'a non-zero Code'}`,
    )
  }
  if (!Array.isArray(results)) throw whole('invalid_response', '`Results` is missing or not an array')
  const wanted = new Set(requested)
  const values = new Map<string, string>()
  for (const [index, entry] of results.entries()) {
    if (entry === null || typeof entry !== 'object') {
      throw whole('invalid_response', `Results[${index}] is not an object`)
    }
    const { Key: key, Value: value } = entry as Record<string, unknown>
    if (typeof key !== 'string' || typeof value !== 'string') {
      throw whole('invalid_response', `Results[${index}] needs string Key and Value`)
    }
    if (!wanted.has(key)) throw whole('invalid_response', `Results[${index}] answers a key not requested`)
    const earlier = values.get(key)
    if (earlier !== undefined && earlier !== value) {
      throw whole('invalid_response', `Results[${index}] gives a second, different value for a key`)
    }
    values.set(key, value)
  }
  const outcomes = new Map<string, KeyOutcome>()
  for (const key of wanted) {
    const value = values.get(key)
    if (value === undefined) {
      outcomes.set(key, {
        ok: false,
        reason: 'not_found',
        detail: 'the endpoint left the key out of Results',
      })
      continue
    }
    const problem = checkValue(key, value)
    outcomes.set(
      key,
      problem === undefined
        ? { ok: true, value }
        : { ok: false, reason: 'invalid_response', detail: problem },
    )
  }
  return outcomes
}
