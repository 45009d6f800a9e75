/**
 * Record ids that sort by creation time, and within a process by creation order (list pages
 * and exports are stable), and are unguessable: `<prefix>-` + the time in base 36 + a
 * per-process counter + 8 random hex digits.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'

let counter = 0

/**
 * A new id for a record created at `now` (epoch milliseconds).
 *
 * @example
 * ```ts
 * newSortableId('bl', Date.now()) // 'bl-0mhx3k2a80001a1b2c3d4'
 * ```
 */
export function newSortableId(prefix: string, now: number): string {
  counter = (counter + 1) % 36 ** 4
  return `${prefix}-${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${randomBytes(4).toString('hex')}`
}
