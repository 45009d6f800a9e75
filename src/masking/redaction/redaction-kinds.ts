/**
 * The closed sets redaction works with: what it detects, the token each kind is replaced
 * by, and the locales whose phone numbering it knows.
 *
 * @module
 */

/**
 * What redaction detects, in the order it looks for them: identity numbers and bank cards
 * first (they carry checksums, so they are the most certain), then e-mail addresses, then
 * phone numbers in what is left. An 18-digit ID is therefore never also reported as a phone.
 *
 * @example
 * ```ts
 * const counts = Object.fromEntries(REDACTION_KINDS.map((k) => [k, 0]))
 * for (const f of redactText(note).findings) counts[f.kind] += 1
 * ```
 */
export const REDACTION_KINDS = ['cn-resident-id', 'bank-card', 'email', 'phone'] as const
/** One kind of sensitive span. */
export type RedactionKind = (typeof REDACTION_KINDS)[number]

/**
 * The token each kind is replaced by. Tokens hold no digit and no `@`, so redacting a
 * redacted text finds nothing new.
 *
 * @example
 * ```ts
 * REDACTION_TOKENS['bank-card'] // '[CARD]'
 * ```
 */
export const REDACTION_TOKENS = {
  'cn-resident-id': '[CN_ID]',
  'bank-card': '[CARD]',
  email: '[EMAIL]',
  phone: '[PHONE]',
} as const satisfies Record<RedactionKind, string>
/** One replacement token. */
export type RedactionToken = (typeof REDACTION_TOKENS)[RedactionKind]

/**
 * What a value is replaced by when it is withheld as a whole (an IVR value whose redaction
 * failed). The same token the logger writes for personal fields.
 */
export const REDACTED_TOKEN = '[REDACTED]'

/**
 * The locales redaction knows; each names the region national phone numbers are read in.
 * Identity numbers, cards and e-mail addresses are detected in every locale.
 */
export const REDACTION_LOCALES = ['CN', 'US', 'GB', 'FR'] as const
/** One locale. */
export type RedactionLocale = (typeof REDACTION_LOCALES)[number]

/**
 * One sensitive span that was redacted. It never carries the matched value: offsets point
 * into the original text, which the caller already holds.
 *
 * @example
 * ```ts
 * redactText('手机13912345678').findings[0] // { kind: 'phone', start: 2, end: 13, replacement: '[PHONE]' }
 * ```
 */
export interface RedactionFinding {
  readonly kind: RedactionKind
  /** Offset of the first UTF-16 code unit of the span in the original text. */
  readonly start: number
  /** Offset just past the span in the original text. */
  readonly end: number
  /** The token the span was replaced by. */
  readonly replacement: RedactionToken
}

/**
 * A span found by one detector, before it becomes a finding.
 * @internal
 */
export interface DetectedSpan {
  readonly kind: RedactionKind
  readonly start: number
  readonly end: number
}
