/**
 * How a number meets the blacklist: one keyed query asks for every prefix of the number
 * (which includes the number itself), and the best hit wins: an exact entry over any
 * prefix, a longer prefix over a shorter one.
 *
 * @module
 */
import { MIN_PREFIX_DIGITS, type BlacklistKind } from './blacklist-entry.js'

/**
 * The patterns that can match `e164`: its prefixes of at least {@link MIN_PREFIX_DIGITS}
 * digits, up to the whole number. At most 15, so the `IN (...)` list stays small.
 *
 * @example
 * ```ts
 * candidatePatterns('+12015550123') // ['+120', '+1201', ..., '+12015550123']
 * ```
 */
export function candidatePatterns(e164: string): string[] {
  const patterns: string[] = []
  for (let end = 1 + MIN_PREFIX_DIGITS; end <= e164.length; end += 1) patterns.push(e164.slice(0, end))
  return patterns
}

/** The part of a stored row matching needs. */
export interface PatternRow {
  readonly kind: BlacklistKind
  readonly pattern: string
}

/**
 * The row that decides for `e164` among rows fetched by {@link candidatePatterns}: an
 * exact entry for the number, else the longest prefix entry it starts with.
 *
 * @example
 * ```ts
 * bestMatch('+12015550123', [{ kind: 'prefix', pattern: '+1201' }, { kind: 'prefix', pattern: '+120155' }])
 * // { kind: 'prefix', pattern: '+120155' }
 * ```
 */
export function bestMatch<R extends PatternRow>(e164: string, rows: readonly R[]): R | undefined {
  let best: R | undefined
  for (const row of rows) {
    if (row.kind === 'exact') {
      if (row.pattern === e164) return row
      continue
    }
    if (!e164.startsWith(row.pattern)) continue
    if (best === undefined || row.pattern.length > best.pattern.length) best = row
  }
  return best
}
