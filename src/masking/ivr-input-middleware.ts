/**
 * IVR inputs (digits a caller keys in, or a speech transcript) are stored as call data,
 * so they are stored redacted: the `ivrInput()` middleware rewrites the event's `value`
 * before anything downstream (CDR writer, logger, export) sees it, and keeps a keyed hash
 * of the original so a stored input can still be matched against a known value.
 *
 * Keypad spellings: a phone pad has no `X`, and callers key the `X` check character of a
 * resident ID number as `*`; a `*` right after 17 digits is read as `X` when looking for
 * ID numbers. A value that is a sensitive number and nothing else (bar `#`, `*`, spaces
 * and hyphens) is replaced entirely by its token, so `110105194912310028#` is stored as
 * `[CN_ID]`.
 *
 * @module
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { CallwardenError } from '../errors.js'
import type { IvrInputEvent } from '../pipeline/call-events.js'
import { guard, type Middleware } from '../pipeline/pipeline.js'
import { applyFindings, detectSpans, resolveLocale } from './redaction/redact-text.js'
import { REDACTED_TOKEN, type RedactionKind, type RedactionLocale } from './redaction/redaction-kinds.js'
import { foldWidth } from './redaction/text-boundaries.js'

/** The shortest HMAC key accepted, in bytes (the output size of SHA-256). */
export const IVR_HASH_KEY_MIN_BYTES = 32

/** Options of {@link ivrInput}. */
export interface IvrInputOptions {
  /**
   * The secret key for the value hash: at least 32 random bytes, or a function giving each
   * tenant's key (so that hashes of one tenant cannot be matched against another's). Keep it
   * with the tenant's other secrets; anyone holding it can test guesses against stored hashes.
   */
  readonly hashKey: Uint8Array | ((tenantId: string) => Uint8Array)
  /**
   * Whose phone numbering national numbers are read in.
   * @defaultValue `'CN'`
   */
  readonly locale?: RedactionLocale
  /**
   * IVR variables whose value is withheld entirely, whatever it holds (a PIN, a password, a
   * one-time code): stored as `[REDACTED]`, with no hash (a hash of a 4-digit PIN is the PIN
   * to anyone who tries 10,000 guesses). A string names a variable, compared
   * case-insensitively; a RegExp is tested against the variable name in lower case with its
   * words joined by `_` (`cardPin` and `card-pin` are tested as `card_pin`). Giving the option replaces the
   * default; spread {@link DEFAULT_IVR_WITHHELD_VARIABLES} into it to add names.
   * @defaultValue {@link DEFAULT_IVR_WITHHELD_VARIABLES}: PIN, password, passcode, CVV/CVC,
   * OTP and verification-code names (`pin`, `card_pin`, `cardPin`, `PASSWORD`, `cvv2`,
   * `sms_code`, `otp`, `验证码`, …)
   */
  readonly withholdVariables?: readonly (string | RegExp)[]
}

/**
 * The variable names {@link ivrInput} withholds entirely unless told otherwise: those with
 * a word such as `pin`, `pwd`, `password`, `passcode`, `cvv`, `cvc`, `csc`, `otp`, `secret`,
 * `security_code`, `verification_code`, `sms_code` or `auth_code`, or `密码`, `验证码`, `口令`.
 * Words are delimited by anything but a letter, so `spin` and `pinyin` are not withheld.
 */
export const DEFAULT_IVR_WITHHELD_VARIABLES: readonly RegExp[] = Object.freeze([
  /(?:^|[^a-z])(?:pins?|pin_?code|pwd|passwd|password|pass_?code|pass_?phrase|cvv2?|cvc2?|cvn|csc|otp|[th]otp|secret|(?:security|verification|verify|auth|sms|one_?time)_?code)(?:[^a-z]|$)/,
  /密码|验证码|口令/,
])

/** A variable name as the withhold patterns read it: lower case, words (camelCase, `-`, `.`, spaces) joined by `_`. */
function variableWords(variable: string): string {
  return variable
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s.-]+/g, '_')
    .toLowerCase()
}

/** The test for withheld variables, from the option. */
function withholdTest(option: unknown): (variable: string) => boolean {
  const given = option ?? DEFAULT_IVR_WITHHELD_VARIABLES
  if (!Array.isArray(given) || given.some((v) => typeof v !== 'string' && !(v instanceof RegExp))) {
    throw new TypeError('withholdVariables must be an array of IVR variable names and RegExps')
  }
  const names = new Set(
    (given as readonly unknown[]).filter((v) => typeof v === 'string').map((v) => v.toLowerCase()),
  )
  // Copies without `g`/`y`, so that test() keeps no state between events.
  const patterns = (given as readonly unknown[])
    .filter((v): v is RegExp => v instanceof RegExp)
    .map((p) => new RegExp(p.source, p.flags.replace(/[gy]/g, '')))
  return (variable) => {
    if (typeof variable !== 'string') return true
    if (names.has(variable.toLowerCase())) return true
    if (patterns.length === 0) return false
    const words = variableWords(variable)
    return patterns.some((p) => p.test(words))
  }
}

/**
 * A middleware for `ivr-input` events: replaces `event.value` by its redacted form and sets
 * `event.valueHash` to {@link hashIvrValue} of the original, then calls `next()`. The value
 * of a PIN-like variable (`withholdVariables`) is replaced by `[REDACTED]` and not hashed.
 *
 * It fails closed: the value is replaced by `[REDACTED]` before anything is computed, so if
 * redaction throws, the caller's input is not left on the event; the error (which never
 * repeats the value) then goes to the pipeline's fail mode. When something was redacted it
 * notes `IVR_INPUT_REDACTED` with the kinds found (never the values).
 *
 * @example
 * ```ts
 * import { createPipeline, type IvrInputEvent } from 'callwarden/pipeline'
 * import { ivrInput } from 'callwarden/masking'
 *
 * const ivr = createPipeline<IvrInputEvent>({ name: 'ivr-input' }).use(
 *   ivrInput({ hashKey: tenantKeys.ivrHashKey, withholdVariables: [...DEFAULT_IVR_WITHHELD_VARIABLES, 'member_no'] }),
 * )
 * const { event } = await ivr.run({
 *   type: 'ivr-input',
 *   tenantId: 'acme',
 *   callId: 'c-1',
 *   variable: 'dtmf',
 *   value: '11010519491231002*',
 * })
 * // event.value: '[CN_ID]'
 * // event.valueHash: 'hmac-sha256:…' (equal to hashIvrValue('11010519491231002X', key))
 * ```
 */
export function ivrInput(options: IvrInputOptions): Middleware<IvrInputEvent> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      `ivrInput() takes an options object, got ${options === null ? 'null' : typeof options}`,
    )
  }
  const keyFor = tenantKeys(options.hashKey)
  const locale = resolveLocale({ locale: options.locale })
  const withholds = withholdTest(options.withholdVariables)

  return guard<IvrInputEvent>(function ivrInput(ctx) {
    const event = ctx.event
    const original: unknown = event.value
    // Fail closed: from here on the caller's input is only in `original`.
    event.value = REDACTED_TOKEN
    delete event.valueHash
    if (typeof original !== 'string') {
      throw new TypeError(`an ivr-input event's value must be a string, got ${typeof original}`)
    }
    if (withholds(event.variable)) {
      // Nothing derived from the value is kept, not even its hash.
      ctx.note('IVR_INPUT_REDACTED', 'IVR input withheld whole', { variable: event.variable, withheld: true })
      return
    }
    let kinds: readonly RedactionKind[] = []
    try {
      event.valueHash = hashWithKey(original, keyFor(event.tenantId))
      const redacted = redactIvrValue(original, locale)
      event.value = redacted.text
      kinds = redacted.kinds
    } catch (error) {
      // The cause is dropped on purpose: a dependency's message may quote the input.
      throw new CallwardenError(
        'ERR_INTERNAL',
        `ivr-input redaction failed (${errorLabel(error)}); the value was stored as ${REDACTED_TOKEN}`,
      )
    }
    if (kinds.length > 0) {
      ctx.note('IVR_INPUT_REDACTED', 'sensitive IVR input redacted', { variable: event.variable, kinds })
    }
  })
}

/**
 * The keyed hash {@link ivrInput} stores in `valueHash`: HMAC-SHA256 under `key` of the
 * value's normalised form, written `hmac-sha256:<64 hex digits>`. A host computes it for a
 * value it knows (a customer's ID number from its CRM) and compares.
 *
 * Normalisation, so that the same number keyed or typed differently hashes the same:
 * Unicode NFKC (full-width digits become ASCII); spaces, `-`, `.`, `(` and `)` removed;
 * trailing `#` (the keypad's end-of-input key) removed; letters upper-cased; and a value of
 * 17 digits and a `*` read as 17 digits and `X` (the ID check character keyed on a phone
 * pad). Nothing else is changed: `+8613912345678` and `13912345678` hash differently.
 *
 * @example
 * ```ts
 * import { hashIvrValue } from 'callwarden/masking'
 *
 * hashIvrValue('11010519491231002X', key) === hashIvrValue('110105 19491231 002x#', key) // true
 * hashIvrValue('11010519491231002X', key) === hashIvrValue('11010519491231002*', key) // true
 * hashIvrValue('1234', key) // 'hmac-sha256:5b1c…' (64 hex digits)
 * ```
 */
export function hashIvrValue(value: string, key: Uint8Array): string {
  if (typeof value !== 'string') {
    throw new TypeError(`hashIvrValue() takes a string value, got ${value === null ? 'null' : typeof value}`)
  }
  return hashWithKey(value, importKey(key, 'key'))
}

/**
 * The normalised form {@link hashIvrValue} hashes.
 * @internal
 */
export function normalizeIvrValue(value: string): string {
  const compact = value
    .normalize('NFKC')
    .replace(/[\s\-.()]/g, '')
    .replace(/#+$/, '')
    .toUpperCase()
  return /^\d{17}\*$/.test(compact) ? `${compact.slice(0, 17)}X` : compact
}

/**
 * Redacts an IVR value: keypad `*` read as an ID's `X`, and a value that is nothing but
 * sensitive numbers (and keypad or grouping characters) replaced whole.
 * @internal
 */
export function redactIvrValue(
  value: string,
  locale: RedactionLocale,
): { text: string; kinds: RedactionKind[] } {
  // Same length as the value, so the spans found in it are spans of the value.
  const searchText = foldWidth(value).replace(KEYPAD_X, '$1X')
  const spans = detectSpans(searchText, locale)
  const result = applyFindings(value, spans)
  const kinds = [...new Set(spans.map((s) => s.kind))]
  if (spans.length > 0) {
    let rest = ''
    let at = 0
    for (const span of spans) {
      rest += value.slice(at, span.start)
      at = span.end
    }
    rest += value.slice(at)
    if (/^[\s#*-]*$/.test(rest)) {
      return { text: result.findings.map((f) => f.replacement).join(' '), kinds }
    }
  }
  return { text: result.text, kinds }
}

/** 17 digits then a keypad `*` where an ID number's check character would be. */
const KEYPAD_X = /(?<![0-9A-Za-z])(\d{17})\*/g

function hashWithKey(value: string, key: KeyObject): string {
  return `hmac-sha256:${createHmac('sha256', key).update(normalizeIvrValue(value), 'utf8').digest('hex')}`
}

function importKey(key: unknown, name: string): KeyObject {
  if (!(key instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array or Buffer of at least ${IVR_HASH_KEY_MIN_BYTES} bytes`)
  }
  if (key.byteLength < IVR_HASH_KEY_MIN_BYTES) {
    throw new TypeError(
      `${name} must be at least ${IVR_HASH_KEY_MIN_BYTES} bytes (the SHA-256 output size), got ${key.byteLength}`,
    )
  }
  // A copy: later changes to the caller's buffer do not change the key.
  return createSecretKey(Buffer.from(key))
}

/** One key for every tenant, or each tenant's own, imported once per tenant. */
function tenantKeys(hashKey: IvrInputOptions['hashKey']): (tenantId: string) => KeyObject {
  if (typeof hashKey !== 'function') {
    const key = importKey(hashKey, 'hashKey')
    return () => key
  }
  const keys = new Map<string, KeyObject>()
  return (tenantId) => {
    let key = keys.get(tenantId)
    if (key === undefined) {
      key = importKey(hashKey(tenantId), 'hashKey(tenantId)')
      keys.set(tenantId, key)
    }
    return key
  }
}

function errorLabel(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string') return code
    const name = (error as { name?: unknown }).name
    if (typeof name === 'string') return name
  }
  return typeof error
}
