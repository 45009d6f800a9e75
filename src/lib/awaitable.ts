/**
 * Values that are there now or later. Hot-path lookups answer from memory most of the time;
 * returning the value itself then (instead of a promise) lets a pipeline check decide without
 * a single promise, and only a lookup that has to wait pays for one.
 *
 * @module
 * @internal
 */

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>

/**
 * Applies `fn` to `value` now when it is there, else when the promise fulfils.
 *
 * @example
 * ```ts
 * whenReady(cache.get(id) ?? load(id), (tenant) => tenant.defaultRegion) // a string, or a promise of one
 * ```
 */
export function whenReady<T, R>(value: Awaitable<T>, fn: (value: T) => Awaitable<R>): Awaitable<R> {
  // Any thenable a host returns is waited for, not only native promises.
  return isPending(value) ? Promise.resolve(value).then(fn) : fn(value)
}

/** True when `value` is a promise (or another thenable) rather than the value itself. */
export function isPending<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
