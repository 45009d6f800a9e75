/**
 * `redactText`: replaces the sensitive spans of a free text (agent notes, remarks, IVR
 * transcripts) with tokens, and says what it replaced without repeating it.
 *
 * Detection runs in a fixed order, each step on what the previous ones left (their spans
 * blanked out, offsets unchanged): resident ID numbers, then bank cards, then e-mail
 * addresses, then phone numbers. So spans never overlap, an 18-digit ID is never also a
 * phone number, and the phone number in `13912345678@163.com` is redacted as part of the
 * address. Where two readings are possible the earlier kind wins; the output depends on
 * nothing but the text and the locale.
 *
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max'
import { ConfigInvalid } from '../../errors.js'
import { findBankCards } from './bank-card.js'
import { findCnResidentIds } from './cn-resident-id.js'
import { findEmails } from './email.js'
import { findPhones } from './phone-in-text.js'
import {
  REDACTION_LOCALES,
  REDACTION_TOKENS,
  type DetectedSpan,
  type RedactionFinding,
  type RedactionLocale,
} from './redaction-kinds.js'
import { blankSpans, foldForSearch, type SearchText } from './text-boundaries.js'

/** Options of {@link redactText}. */
export interface RedactTextOptions {
  /**
   * Whose phone numbering national numbers are read in (`CN` reads `13912345678`, `US`
   * reads `(201) 555-0123`). Numbers written with a country code are found in every locale.
   * @defaultValue `'CN'`
   */
  readonly locale?: RedactionLocale
}

/** What {@link redactText} returns. */
export interface RedactionResult {
  /** The text with every finding replaced by its token. */
  readonly text: string
  /** The replaced spans in text order, with offsets into the original text. */
  readonly findings: readonly RedactionFinding[]
}

/**
 * Redacts resident ID numbers, bank cards, e-mail addresses and phone numbers in `text`.
 * Look-alikes that fail a checksum or a validity check (order and tracking numbers,
 * dates, amounts, postcodes) are left as they are.
 *
 * Throws `ERR_CONFIG_INVALID` for a locale it does not know, and a `TypeError` when `text`
 * is not a string. Neither message repeats the text.
 *
 * @example
 * ```ts
 * import { redactText } from 'callwarden/masking'
 *
 * const { text, findings } = redactText('客户身份证11010519491231002X，手机13912345678')
 * // text: '客户身份证[CN_ID]，手机[PHONE]'
 * // findings: [
 * //   { kind: 'cn-resident-id', start: 5, end: 23, replacement: '[CN_ID]' },
 * //   { kind: 'phone', start: 26, end: 37, replacement: '[PHONE]' },
 * // ]
 * redactText('Call me on (201) 555-0123', { locale: 'US' }).text // 'Call me on [PHONE]'
 * ```
 */
export function redactText(text: string, options: RedactTextOptions = {}): RedactionResult {
  if (typeof text !== 'string') {
    throw new TypeError(`redactText() takes a string, got ${text === null ? 'null' : typeof text}`)
  }
  const locale = resolveLocale(options)
  const search = foldForSearch(text)
  return applyFindings(text, toOriginal(search, detectSpans(search.text, locale)))
}

/**
 * `spans` of `search.text` as spans of the text it was folded from.
 * @internal
 */
export function toOriginal(search: SearchText, spans: readonly DetectedSpan[]): DetectedSpan[] {
  return spans.map((span) => ({ kind: span.kind, ...search.toOriginal(span.start, span.end) }))
}

/**
 * Checks the options of {@link redactText}.
 * @internal
 */
export function resolveLocale(options: RedactTextOptions | undefined): RedactionLocale {
  if (options === null || (options !== undefined && typeof options !== 'object')) {
    throw new TypeError(
      `redaction options must be an object, got ${options === null ? 'null' : typeof options}`,
    )
  }
  const locale = options?.locale ?? 'CN'
  if (typeof locale !== 'string') {
    throw new TypeError(`locale must be a string such as 'CN', got ${typeof locale}`)
  }
  if (!(REDACTION_LOCALES as readonly string[]).includes(locale)) {
    throw new ConfigInvalid([
      {
        path: 'locale',
        message: `supported locales are: ${REDACTION_LOCALES.join(', ')}; got ${describeLocale(locale)}`,
      },
    ])
  }
  return locale as RedactionLocale
}

/** Echoes a locale-shaped value; anything else could be text passed by mistake, so only its length. */
function describeLocale(locale: string): string {
  return /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$/.test(locale)
    ? `'${locale}'`
    : `a string of ${locale.length} characters`
}

/**
 * Finds the sensitive spans of `searchText`: a text folded for search (map the spans back
 * with {@link toOriginal}), or an IVR value with its keypad spellings resolved, as long as
 * the value.
 * @internal
 */
export function detectSpans(searchText: string, locale: RedactionLocale): DetectedSpan[] {
  const ids = findCnResidentIds(searchText)
  let left = blankSpans(searchText, ids)
  const cards = findBankCards(left)
  left = blankSpans(left, cards)
  const emails = findEmails(left)
  left = blankSpans(left, emails)
  const phones = findPhones(left, locale as CountryCode)
  return [...ids, ...cards, ...emails, ...phones].sort((a, b) => a.start - b.start || a.end - b.end)
}

/**
 * Replaces `spans` (non-overlapping, in order) in `text` by their tokens.
 * @internal
 */
export function applyFindings(text: string, spans: readonly DetectedSpan[]): RedactionResult {
  const findings: RedactionFinding[] = []
  let out = ''
  let at = 0
  for (const span of spans) {
    const replacement = REDACTION_TOKENS[span.kind]
    out += text.slice(at, span.start) + replacement
    at = span.end
    findings.push(Object.freeze({ kind: span.kind, start: span.start, end: span.end, replacement }))
  }
  return Object.freeze({ text: out + text.slice(at), findings: Object.freeze(findings) })
}
