/**
 * E-mail addresses as people write them in notes and forms: a dot-atom local part
 * (letters, digits and `._%+-`: RFC 5322 allows a few more symbols without quoting, but
 * they are not seen in practice and would pull punctuation into a match), `@`, and a domain of dot-separated labels ending in a
 * top-level domain of letters. Quoted local parts and address literals (`[192.0.2.1]`)
 * are not looked for: they do not occur in contact-center text.
 *
 * @module
 * @internal
 */
import type { DetectedSpan } from './redaction-kinds.js'

/**
 * Finds e-mail addresses. A dot ending a sentence is not part of the address.
 *
 * @example
 * ```ts
 * findEmails('Write to li.lei@example.cn.') // [{ kind: 'email', start: 9, end: 26 }]
 * ```
 */
export function findEmails(text: string): DetectedSpan[] {
  return [...text.matchAll(EMAIL)].map((m) => ({
    kind: 'email' as const,
    start: m.index,
    end: m.index + m[0].length,
  }))
}

const LOCAL = String.raw`[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*`
const LABEL = String.raw`[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?`
const EMAIL = new RegExp(
  String.raw`(?<![A-Za-z0-9_%+.\-])${LOCAL}@(?:${LABEL}\.)+[A-Za-z]{2,63}(?![A-Za-z0-9\-]|\.[A-Za-z0-9])`,
  'g',
)
