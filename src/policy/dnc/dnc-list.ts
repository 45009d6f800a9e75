/**
 * One do-not-call list in memory: a large immutable base set plus a small overlay of
 * additions and removals (tombstones), so a registry's change file costs in proportion to
 * the overlay, never to the 100 M numbers of the base. When the overlay outgrows a
 * sixteenth of the base it is folded into a new base (one merge). Every version is an
 * immutable state object swapped in whole, so a lookup sees the old list or the new one,
 * never a mix.
 *
 * @module
 * @internal
 */
import { E164Set, SortedE164SetBuilder } from './e164-set.js'

/** How a load changes a list. */
export const DNC_LOAD_MODES = ['replace', 'add', 'remove'] as const
/** One mode. */
export type DncLoadMode = (typeof DNC_LOAD_MODES)[number]

/** Who a list applies to: every tenant (a national registry) or the tenant that owns it. */
export const DNC_SCOPES = ['global', 'tenant'] as const
/** One scope. */
export type DncScope = (typeof DNC_SCOPES)[number]

/** The list that holds a number, as a denial names it (never the number). */
export interface DncMatch {
  readonly list: string
  readonly scope: DncScope
}

/** One version of a list. */
export interface DncListState {
  readonly base: E164Set
  /** Numbers added since the base was built, none of them in the base. */
  readonly additions: E164Set
  /** Numbers of the base removed since, all of them in the base. */
  readonly removals: E164Set
  readonly size: number
  readonly version: number
  readonly loadedAt: Date
}

/** The overlay is folded into the base once it holds more than this share of it... */
const OVERLAY_SHARE = 1 / 16
/** ...and more than this many numbers. */
const OVERLAY_MIN = 4096
/** Merges pause for the event loop every this many numbers. */
const PAUSE_EVERY = 1 << 20

/** Lets other work run during a long merge. */
export type Pause = () => Promise<void>

/** @internal */
export class DncList {
  readonly name: string
  readonly tenantId: string | undefined
  /** What a lookup returns when this list holds the number: one frozen object, no allocation. */
  readonly match: DncMatch
  #state: DncListState

  constructor(name: string, tenantId: string | undefined, state: DncListState) {
    this.name = name
    this.tenantId = tenantId
    this.match = Object.freeze({ list: name, scope: tenantId === undefined ? 'global' : 'tenant' })
    this.#state = state
  }

  get state(): DncListState {
    return this.#state
  }

  /** True when the list holds the number whose integer is `value`. */
  has(value: number): boolean {
    const s = this.#state
    if (s.additions.size > 0 && s.additions.has(value)) return true
    return s.base.has(value) && (s.removals.size === 0 || !s.removals.has(value))
  }

  /** Puts `state` in force. */
  commit(state: DncListState): void {
    this.#state = state
  }

  /** Typed-array bytes of the current version. */
  get bytes(): number {
    const s = this.#state
    return s.base.bytes + s.additions.bytes + s.removals.bytes
  }
}

/** A list's first version, or a replacement: `base` alone. */
export function replacedState(base: E164Set, version: number, loadedAt: Date): DncListState {
  return Object.freeze({
    base,
    additions: E164Set.EMPTY,
    removals: E164Set.EMPTY,
    size: base.size,
    version,
    loadedAt,
  })
}

/**
 * The version after adding or removing `values` (sorted, distinct) from `state`. Work is in
 * proportion to the overlay and the change, unless the overlay has grown large enough to be
 * folded into the base.
 */
export async function changedState(
  state: DncListState,
  mode: 'add' | 'remove',
  values: Float64Array,
  version: number,
  loadedAt: Date,
  pause: Pause,
): Promise<DncListState> {
  const { base } = state
  let additions = state.additions.toSortedValues()
  let removals = state.removals.toSortedValues()
  if (mode === 'add') {
    // New numbers join the additions; numbers of the base that were removed come back.
    additions = union(
      additions,
      values.filter((v) => !base.has(v)),
    )
    removals = difference(removals, values)
  } else {
    additions = difference(additions, values)
    removals = union(
      removals,
      values.filter((v) => base.has(v)),
    )
  }
  const size = base.size + additions.length - removals.length
  if (additions.length + removals.length > Math.max(OVERLAY_MIN, base.size * OVERLAY_SHARE)) {
    const folded = await fold(base, additions, removals, size, pause)
    return replacedState(folded, version, loadedAt)
  }
  return Object.freeze({
    base,
    additions: setOf(additions),
    removals: setOf(removals),
    size,
    version,
    loadedAt,
  })
}

function setOf(sorted: Float64Array): E164Set {
  return E164Set.fromSorted(sorted)
}

/** A new base: the old one less `removals`, plus `additions` (both sorted). */
async function fold(
  base: E164Set,
  additions: Float64Array,
  removals: Float64Array,
  size: number,
  pause: Pause,
): Promise<E164Set> {
  const builder = new SortedE164SetBuilder(size)
  let a = 0
  let r = 0
  let since = 0
  for (const bucket of base.buckets()) {
    const { offset, lows } = bucket
    for (let i = 0; i < lows.length; i++) {
      const value = offset + lows[i]!
      while (a < additions.length && additions[a]! < value) builder.push(additions[a++]!)
      while (r < removals.length && removals[r]! < value) r++
      if (r < removals.length && removals[r] === value) r++
      else builder.push(value)
      if (++since === PAUSE_EVERY) {
        since = 0
        await pause()
      }
    }
  }
  while (a < additions.length) builder.push(additions[a++]!)
  return builder.build()
}

/** Sorted union of two sorted, distinct arrays. */
function union(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) out[k++] = a[i++]!
    else if (a[i]! > b[j]!) out[k++] = b[j++]!
    else {
      out[k++] = a[i++]!
      j++
    }
  }
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  return out.subarray(0, k)
}

/** Members of sorted `a` not in sorted `b`. */
function difference(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length)
  let j = 0
  let k = 0
  for (let i = 0; i < a.length; i++) {
    while (j < b.length && b[j]! < a[i]!) j++
    if (j < b.length && b[j] === a[i]) continue
    out[k++] = a[i]!
  }
  return out.subarray(0, k)
}
