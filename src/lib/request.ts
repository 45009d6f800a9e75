/**
 * The check at the door of every public method that takes a request object: a missing or
 * non-object request is caller misuse, reported as such rather than as a property read on
 * `null` from deep inside.
 *
 * @module
 * @internal
 */

/**
 * Throws a `TypeError` naming `method` unless `request` is an object.
 *
 * @example
 * ```ts
 * assertRequest(request, 'consent.check')
 * ```
 */
export function assertRequest(
  request: unknown,
  method: string,
  argument = 'request',
): asserts request is object {
  if (request === null || typeof request !== 'object') {
    throw new TypeError(
      `${method}() takes a ${argument} object, got ${request === null ? 'null' : typeof request}`,
    )
  }
}
