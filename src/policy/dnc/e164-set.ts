/**
 * A compact, immutable, exact set of E.164 numbers for do-not-call lists of up to hundreds
 * of millions of numbers.
 *
 * A number is kept as the integer its digits spell (`+8613988888888` → 8613988888888; E.164
 * has at most 15 digits and no leading zero, so the integer is exact in a float64 and
 * different numbers never share one). The integer is split at 2^32: the high part (at most
 * 232,831 values) picks a bucket, the low 32 bits are stored in one `Uint32Array`, sorted
 * within each bucket. Each bucket has a slot index over `low - min(bucket)`, one slot per
 * about 8 numbers, so a lookup is: find the bucket (binary search over a few hundred
 * thousand at most, usually a handful), read two slot bounds, binary-search the slot's
 * few numbers (one or two cache lines). About 4.3–4.6 bytes per number, no false positives.
 *
 * @module
 * @internal
 */

/** 2^32: where a number's integer is split into bucket and low part. */
const SPLIT = 4294967296
/** Numbers per slot the index aims at: the last search step stays within a cache line or two. */
const NUMBERS_PER_SLOT = 8
/** Segments at most this long are sorted by insertion. */
const INSERTION_SORT_MAX = 24
/** High parts run from 0 to this, exclusive (10^15 / 2^32, rounded up). */
const HI_LIMIT = Math.ceil(1e15 / SPLIT)
/** While building, numbers are scattered into runs of about this many before sorting. */
const RUN_LENGTH = 4
/** Collections smaller than this are simply sorted. */
const SMALL_BUILD = 1 << 16
/** The largest integer an E.164 number (at most 15 digits) can spell, plus one. */
export const E164_VALUE_LIMIT = 1e15

/**
 * The integer of an E.164 string (`+` and 1–15 digits, the first not `0`), or -1 when `e164`
 * is not one. Allocates nothing.
 *
 * @example
 * ```ts
 * e164Value('+8613988888888') // 8613988888888
 * e164Value('8613988888888') // -1 (no '+')
 * ```
 */
export function e164Value(e164: string): number {
  const length = e164.length
  if (length < 2 || length > 16 || e164.charCodeAt(0) !== 43 || e164.charCodeAt(1) === 48) return -1
  let value = 0
  for (let i = 1; i < length; i++) {
    const digit = e164.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/** The E.164 string of an integer from {@link e164Value}. */
export function valueE164(value: number): string {
  return `+${value}`
}

function assertValue(value: number): void {
  if (!Number.isInteger(value) || value < 1 || value >= E164_VALUE_LIMIT) {
    throw new RangeError('an E.164 value is a whole number from 1 to 10^15 - 1')
  }
}

/** The parts of a set, shared by the builders. */
interface SetParts {
  readonly size: number
  /** Low 32 bits of every number, sorted within each bucket, buckets in order. */
  readonly lows: Uint32Array
  /** Per bucket: the high part, ascending. */
  readonly his: Uint32Array
  /** Per bucket: the smallest low part. */
  readonly mins: Uint32Array
  /** Per bucket: largest low part minus smallest. */
  readonly spans: Uint32Array
  /** Per bucket: how far `low - min` is shifted right to give its slot (0–31). */
  readonly shifts: Uint8Array
  /** Per bucket: where its slot bounds start in `slots`. */
  readonly slotBases: Uint32Array
  /** Slot bounds: positions in `lows`; a bucket with k slots has k + 1 bounds. */
  readonly slots: Uint32Array
}

/**
 * An immutable exact set of E.164 numbers (as integers, see {@link e164Value}). Build one
 * with {@link E164Set.fromValues}, {@link E164ValueCollector} (unsorted input, large) or
 * {@link SortedE164SetBuilder} (sorted input, e.g. a merge).
 *
 * @example
 * ```ts
 * const set = E164Set.fromValues([8613988888888, 12015550123])
 * set.has(e164Value('+12015550123')) // true
 * ```
 * @internal
 */
export class E164Set {
  /** The empty set. */
  static readonly EMPTY: E164Set = new E164Set({
    size: 0,
    lows: new Uint32Array(0),
    his: new Uint32Array(0),
    mins: new Uint32Array(0),
    spans: new Uint32Array(0),
    shifts: new Uint8Array(0),
    slotBases: new Uint32Array(0),
    slots: new Uint32Array(0),
  })

  /** How many numbers the set holds. */
  readonly size: number
  readonly #lows: Uint32Array
  readonly #his: Uint32Array
  readonly #mins: Uint32Array
  readonly #spans: Uint32Array
  readonly #shifts: Uint8Array
  readonly #slotBases: Uint32Array
  readonly #slots: Uint32Array
  readonly #bucketCount: number

  private constructor(parts: SetParts) {
    this.size = parts.size
    this.#lows = parts.lows
    this.#his = parts.his
    this.#mins = parts.mins
    this.#spans = parts.spans
    this.#shifts = parts.shifts
    this.#slotBases = parts.slotBases
    this.#slots = parts.slots
    this.#bucketCount = parts.his.length
  }

  /** A set of `values` (any order, duplicates allowed); for small sets. */
  static fromValues(values: Iterable<number>): E164Set {
    const collector = new E164ValueCollector()
    for (const value of values) collector.add(value)
    return E164Set.fromSorted(collector.sortedDistinct())
  }

  /** A set of `sorted` (ascending, distinct). */
  static fromSorted(sorted: Float64Array): E164Set {
    const builder = new SortedE164SetBuilder(sorted.length)
    for (let i = 0; i < sorted.length; i++) builder.push(sorted[i]!)
    return builder.build()
  }

  /** @internal */
  static fromParts(parts: SetParts): E164Set {
    return parts.size === 0 ? E164Set.EMPTY : new E164Set(parts)
  }

  /** Bytes held by the set's typed arrays (the set's whole memory but a few objects). */
  get bytes(): number {
    return (
      this.#lows.buffer.byteLength +
      this.#his.byteLength +
      this.#mins.byteLength +
      this.#spans.byteLength +
      this.#shifts.byteLength +
      this.#slotBases.byteLength +
      this.#slots.byteLength
    )
  }

  /** True when the set holds the number whose integer is `value`. Allocates nothing. */
  has(value: number): boolean {
    const his = this.#his
    const hi = Math.floor(value / SPLIT)
    // Find the bucket: binary search over the (few) high parts present.
    let lo = 0
    let hiIndex = this.#bucketCount - 1
    let bucket = -1
    while (lo <= hiIndex) {
      const mid = (lo + hiIndex) >>> 1
      const h = his[mid]!
      if (h < hi) lo = mid + 1
      else if (h > hi) hiIndex = mid - 1
      else {
        bucket = mid
        break
      }
    }
    if (bucket < 0) return false
    const low = value - hi * SPLIT
    const offset = low - this.#mins[bucket]!
    if (offset < 0 || offset > this.#spans[bucket]!) return false
    const slot = this.#slotBases[bucket]! + (offset >>> this.#shifts[bucket]!)
    const lows = this.#lows
    let from = this.#slots[slot]!
    let to = this.#slots[slot + 1]!
    while (from < to) {
      const mid = (from + to) >>> 1
      const x = lows[mid]!
      if (x < low) from = mid + 1
      else if (x > low) to = mid
      else return true
    }
    return false
  }

  /** The buckets in ascending order: the value of high part × 2^32, and the sorted low parts. */
  *buckets(): Generator<{ readonly offset: number; readonly lows: Uint32Array }, void, undefined> {
    for (let b = 0; b < this.#bucketCount; b++) {
      const start = this.#slots[this.#slotBases[b]!]!
      const end = this.#slots[this.#slotBases[b + 1] ?? this.#slots.length - 1]!
      yield { offset: this.#his[b]! * SPLIT, lows: this.#lows.subarray(start, end) }
    }
  }

  /** Calls `fn` with every number's integer, ascending. */
  forEach(fn: (value: number) => void): void {
    for (const { offset, lows } of this.buckets()) {
      for (let i = 0; i < lows.length; i++) fn(offset + lows[i]!)
    }
  }

  /** Every number's integer, ascending. Meant for small sets (overlays). */
  toSortedValues(): Float64Array {
    const out = new Float64Array(this.size)
    let i = 0
    this.forEach((value) => {
      out[i++] = value
    })
    return out
  }
}

/**
 * The slot index of one bucket whose sorted, distinct low parts are `lows[start, end)`:
 * its shift, smallest low part, span, and slot bounds (slot count + 1 of them).
 */
function indexBucket(
  lows: Uint32Array,
  start: number,
  end: number,
): { shift: number; min: number; span: number; bounds: Uint32Array } {
  const n = end - start
  const min = lows[start]!
  const span = lows[end - 1]! - min
  const target = Math.max(1, Math.ceil(n / NUMBERS_PER_SLOT))
  let shift = 0
  while (shift < 31 && Math.floor(span / 2 ** shift) + 1 > target) shift++
  const slotCount = Math.floor(span / 2 ** shift) + 1
  const bounds = new Uint32Array(slotCount + 1)
  // bounds[s] = first position whose slot is >= s.
  let slot = 0
  for (let i = start; i < end; i++) {
    const s = (lows[i]! - min) >>> shift
    while (slot <= s) bounds[slot++] = i
  }
  while (slot <= slotCount) bounds[slot++] = end
  return { shift, min, span, bounds }
}

/** Assembles a set from buckets of sorted, distinct low parts laid out in `lows`. */
function assemble(lows: Uint32Array, size: number, bucketHis: number[], bucketStarts: number[]): E164Set {
  const count = bucketHis.length
  const his = new Uint32Array(count)
  const mins = new Uint32Array(count)
  const spans = new Uint32Array(count)
  const shifts = new Uint8Array(count)
  const slotBases = new Uint32Array(count)
  const parts: Uint32Array[] = []
  let slotTotal = 0
  for (let b = 0; b < count; b++) {
    const start = bucketStarts[b]!
    const end = b + 1 < count ? bucketStarts[b + 1]! : size
    const index = indexBucket(lows, start, end)
    his[b] = bucketHis[b]!
    mins[b] = index.min
    spans[b] = index.span
    shifts[b] = index.shift
    slotBases[b] = slotTotal
    // The last bound of a bucket equals the first of the next: share it.
    const own = b + 1 < count ? index.bounds.subarray(0, index.bounds.length - 1) : index.bounds
    parts.push(own)
    slotTotal += own.length
  }
  const slots = new Uint32Array(slotTotal)
  let at = 0
  for (const part of parts) {
    slots.set(part, at)
    at += part.length
  }
  return E164Set.fromParts({ size, lows, his, mins, spans, shifts, slotBases, slots })
}

/**
 * Collects numbers in any order (duplicates allowed) in 8-byte chunks, then builds a set
 * without a global sort: numbers are scattered by bucket and by a coarse slot of their low
 * part (two counting passes), and only the short runs that share a coarse slot are sorted.
 * Peak memory while building: 8 bytes per collected number plus the set itself.
 *
 * @internal
 */
export class E164ValueCollector {
  static readonly CHUNK = 1 << 20
  #chunks: Float64Array[] = []
  #current = new Float64Array(1024)
  #fill = 0
  #count = 0

  /** How many numbers were added (duplicates included). */
  get count(): number {
    return this.#count
  }

  /** Adds a number's integer. */
  add(value: number): void {
    assertValue(value)
    if (this.#fill === this.#current.length) {
      this.#chunks.push(this.#current)
      // Chunks grow with the collection, so small lists stay small.
      this.#current = new Float64Array(Math.min(E164ValueCollector.CHUNK, Math.max(1024, this.#count)))
      this.#fill = 0
    }
    this.#current[this.#fill++] = value
    this.#count++
  }

  /** Every collected number, sorted and without duplicates. For small collections (deltas). */
  sortedDistinct(): Float64Array {
    const all = new Float64Array(this.#count)
    let at = 0
    for (const chunk of this.#chunks) {
      all.set(chunk, at)
      at += chunk.length
    }
    all.set(this.#current.subarray(0, this.#fill), at)
    all.sort()
    let w = 0
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[w++] = all[i]!
    return all.slice(0, w)
  }

  /**
   * Builds the set; the collector is emptied. `pause` is awaited between blocks of about a
   * million numbers, so a large build does not hold the event loop for seconds.
   */
  async build(pause: () => Promise<void> = async () => {}): Promise<E164Set> {
    const chunks = [...this.#chunks, this.#current.subarray(0, this.#fill)]
    const total = this.#count
    if (total < SMALL_BUILD) {
      const sorted = this.sortedDistinct()
      this.#reset()
      return E164Set.fromSorted(sorted)
    }
    this.#reset()

    // Pass 1: per high part, the count and the range of low parts.
    const counts = new Uint32Array(HI_LIMIT)
    const mins = new Uint32Array(HI_LIMIT).fill(0xffffffff)
    const maxs = new Uint32Array(HI_LIMIT)
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const value = chunk[i]!
        const hi = Math.floor(value / SPLIT)
        const low = value - hi * SPLIT
        counts[hi]!++
        if (low < mins[hi]!) mins[hi] = low
        if (low > maxs[hi]!) maxs[hi] = low
      }
      await pause()
    }
    // Coarse runs per bucket (one per RUN_LENGTH numbers), laid out bucket after bucket.
    const bucketHis: number[] = []
    const runBases = new Uint32Array(HI_LIMIT)
    const shifts = new Uint8Array(HI_LIMIT)
    let runTotal = 0
    for (let hi = 0; hi < HI_LIMIT; hi++) {
      const count = counts[hi]!
      if (count === 0) continue
      bucketHis.push(hi)
      const span = maxs[hi]! - mins[hi]!
      const target = Math.max(1, Math.ceil(count / RUN_LENGTH))
      let shift = 0
      while (shift < 31 && Math.floor(span / 2 ** shift) + 1 > target) shift++
      runBases[hi] = runTotal
      shifts[hi] = shift
      runTotal += Math.floor(span / 2 ** shift) + 1
    }
    // Pass 2: count per run; then each run's start; pass 3: scatter the low parts. After the
    // scatter, cursor[r] is where run r ends (and run r + 1 starts).
    const cursor = new Uint32Array(runTotal)
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const value = chunk[i]!
        const hi = Math.floor(value / SPLIT)
        cursor[runBases[hi]! + ((value - hi * SPLIT - mins[hi]!) >>> shifts[hi]!)]!++
      }
      await pause()
    }
    let sum = 0
    for (let r = 0; r < runTotal; r++) {
      const count = cursor[r]!
      cursor[r] = sum
      sum += count
    }
    const lows = new Uint32Array(total)
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!
      for (let i = 0; i < chunk.length; i++) {
        const value = chunk[i]!
        const hi = Math.floor(value / SPLIT)
        const low = value - hi * SPLIT
        lows[cursor[runBases[hi]! + ((low - mins[hi]!) >>> shifts[hi]!)]!++] = low
      }
      chunks[c] = new Float64Array(0)
      await pause()
    }
    // Sort each run, drop duplicates, and note where buckets start after compaction.
    const bucketStarts: number[] = []
    let w = 0
    let b = 0
    let start = 0
    for (let r = 0; r < runTotal; r++) {
      if (b < bucketHis.length && r === runBases[bucketHis[b]!]) {
        bucketStarts.push(w)
        b++
      }
      const end = cursor[r]!
      if (end - start > 1) sortRun(lows, start, end)
      for (let i = start; i < end; i++) {
        if (i > start && lows[i] === lows[i - 1]) continue
        lows[w++] = lows[i]!
      }
      start = end
      if ((r & 0xfffff) === 0xfffff) await pause()
    }
    // Keep the buffer when duplicates were few; copy it down when they were many.
    const kept = w < total * 0.9 ? lows.slice(0, w) : lows.subarray(0, w)
    return assemble(kept, w, bucketHis, bucketStarts)
  }

  #reset(): void {
    this.#chunks = []
    this.#current = new Float64Array(0)
    this.#fill = 0
    this.#count = 0
  }
}

function sortRun(lows: Uint32Array, start: number, end: number): void {
  if (end - start > INSERTION_SORT_MAX) {
    lows.subarray(start, end).sort()
    return
  }
  for (let i = start + 1; i < end; i++) {
    const x = lows[i]!
    let j = i - 1
    while (j >= start && lows[j]! > x) {
      lows[j + 1] = lows[j]!
      j--
    }
    lows[j + 1] = x
  }
}

/**
 * Builds a set from numbers given in strictly ascending order (a merge of sets), writing
 * each low part once. `capacity` bounds how many numbers will come.
 *
 * @internal
 */
export class SortedE164SetBuilder {
  readonly #lows: Uint32Array
  readonly #his: number[] = []
  readonly #starts: number[] = []
  #size = 0
  #last = 0

  constructor(capacity: number) {
    this.#lows = new Uint32Array(capacity)
  }

  /** Appends a number; it must be larger than the one before. */
  push(value: number): void {
    if (value <= this.#last) throw new RangeError('values must be pushed in strictly ascending order')
    assertValue(value)
    this.#last = value
    const hi = Math.floor(value / SPLIT)
    if (this.#his.length === 0 || this.#his[this.#his.length - 1] !== hi) {
      this.#his.push(hi)
      this.#starts.push(this.#size)
    }
    this.#lows[this.#size++] = value - hi * SPLIT
  }

  build(): E164Set {
    if (this.#size === 0) return E164Set.EMPTY
    const lows =
      this.#size < this.#lows.length * 0.9
        ? this.#lows.slice(0, this.#size)
        : this.#lows.subarray(0, this.#size)
    return assemble(lows, this.#size, this.#his, this.#starts)
  }
}
