/**
 * Text read from files an operator wrote: editors on some platforms save UTF-8 with a
 * byte-order mark, which is not part of the content.
 *
 * @module
 */

/**
 * `text` without a leading UTF-8 byte-order mark (U+FEFF), as `JSON.parse` would otherwise
 * refuse it.
 *
 * @example
 * ```ts
 * JSON.parse(withoutByteOrderMark(readFileSync('callwarden.config.json', 'utf8')))
 * ```
 * @internal
 */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
