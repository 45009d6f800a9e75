/**
 * Validation of millisecond options (refresh intervals, how long a read may be reused).
 *
 * @module
 * @internal
 */

/**
 * `value` when given, else `fallback`; a `RangeError` naming `name` unless it is a finite
 * number of milliseconds ≥ 0.
 *
 * @example
 * ```ts
 * const recentMs = millisecondsOption('recentMs', options.recentMs, 1000)
 * ```
 */
export function millisecondsOption(name: string, value: number | undefined, fallback: number): number {
  const ms = value ?? fallback
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${name} must be a number of milliseconds ≥ 0, got ${ms}`)
  }
  return ms
}
