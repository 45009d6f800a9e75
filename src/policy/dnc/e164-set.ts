/**
 * A compact, immutable, exact set of E.164 numbers for do-not-call lists of up to hundreds
 * of millions of numbers.
 *
 * A number is kept as the integer its digits spell (`+8613988888888` → 8613988888888; E.164
 * has at most 15 digits and no leading zero, so the integer is exact in a float64 and
 * different numbers never share one). The integer is split at 2^32: the high part (at most
 * 232,831 values) picks a chunk, and within a chunk a number is its offset from the chunk's
 * smallest number. A lookup reads one place that is likely to miss the cache; everything
 * read before it is small enough to stay cached:
 *
 * - **Chunk**: a table indexed by the high part (when the chunks present span a short range,
 *   as national lists do), else a binary search over the high parts present.
 * - **Dense chunks** (on average at least one number per 2^15 offsets: national lists) are
 *   cut into pages of 2^k offsets (k ≤ 16, about {@link NUMBERS_PER_PAGE} numbers a page). A
 *   page directory (4 bytes a page, about 1 MB for 100 M numbers) gives each page's range
 *   in one array of 16-bit keys, the offsets' low 16 bits. A key's position is guessed from
 *   where it falls in its page's span, and one cache line of keys around the guess is
 *   searched without data-dependent branches; keys outside that line are searched only when
 *   the line's ends say the key lies beyond them. About 2 bytes a number.
 * - **Sparse chunks** keep 32-bit offsets with a slot index over them, one slot per about 8
 *   numbers (about 4.5 bytes a number).
 *
 * No false positives: every number is stored whole (chunk, page and key together spell it).
 *
 * @module
 * @internal
 */

/** 2^32: where a number's integer is split into chunk and offset. */
const SPLIT = 4294967296
/** Bits of a dense chunk's offset kept as its key; the bits above come from its page. */
const KEY_BITS = 16
/** Masks an offset down to its key. */
const KEY_MASK = (1 << KEY_BITS) - 1
/** Numbers per page a dense chunk aims at (a page spans at most 2^16 offsets). */
export const NUMBERS_PER_PAGE = 256
/** A chunk is dense when pages of 2^16 offsets cost it at most this many bytes a number. */
const MAX_DIRECTORY_BYTES_PER_NUMBER = 2
/** Bytes of one page (or slot) bound. */
const BOUND_BYTES = 4
/** Keys searched around the guessed position: one cache line of 16-bit keys. */
const WINDOW = 32
/** How far before the guess the window starts. */
const WINDOW_LEAD = WINDOW / 2 - 1
/** Numbers per slot a sparse chunk aims at: the last search step stays within a cache line or two. */
const NUMBERS_PER_SLOT = 8
/** A chunk table (4 bytes per high part in the range present) is built up to this many entries... */
const CHUNK_TABLE_FREE = 1024
/** ...or while it takes at most this many entries per number. */
const CHUNK_TABLE_PER_NUMBER = 1 / 4
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

/** The parts of a set, as {@link assemble} lays them out. */
interface SetParts {
  readonly size: number
  /** Per chunk: the high part, ascending. */
  readonly his: Uint32Array
  /** Per chunk: the smallest low part (offsets count from it). */
  readonly mins: Uint32Array
  /** Per chunk: the largest offset. */
  readonly spans: Uint32Array
  /** Per chunk: how far an offset is shifted right to give its page or slot (at most 16: dense). */
  readonly shifts: Uint8Array
  /** Per chunk: where its bounds start in `bounds`. */
  readonly bases: Uint32Array
  /** Page or slot bounds: positions in `keys` (dense chunks) or `wide` (sparse chunks). */
  readonly bounds: Uint32Array
  /** Dense chunks' keys (offset & 0xffff), ascending within each page. */
  readonly keys: Uint16Array
  /** Sparse chunks' offsets, ascending within each chunk. */
  readonly wide: Uint32Array
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
    his: new Uint32Array(0),
    mins: new Uint32Array(0),
    spans: new Uint32Array(0),
    shifts: new Uint8Array(0),
    bases: new Uint32Array(0),
    bounds: new Uint32Array(0),
    keys: new Uint16Array(0),
    wide: new Uint32Array(0),
  })

  /** How many numbers the set holds. */
  readonly size: number
  readonly #his: Uint32Array
  readonly #mins: Uint32Array
  readonly #spans: Uint32Array
  readonly #shifts: Uint8Array
  readonly #bases: Uint32Array
  readonly #bounds: Uint32Array
  readonly #keys: Uint16Array
  readonly #wide: Uint32Array
  /** The first chunk's high part: index 0 of the chunk table. */
  readonly #firstHi: number
  /** Per high part from `#firstHi`: its chunk + 1, or 0; empty when the range is too wide for one. */
  readonly #chunkTable: Uint32Array

  private constructor(parts: SetParts) {
    this.size = parts.size
    this.#his = parts.his
    this.#mins = parts.mins
    this.#spans = parts.spans
    this.#shifts = parts.shifts
    this.#bases = parts.bases
    this.#bounds = parts.bounds
    this.#keys = parts.keys
    this.#wide = parts.wide
    const count = parts.his.length
    this.#firstHi = count === 0 ? 0 : parts.his[0]!
    const range = count === 0 ? 0 : parts.his[count - 1]! - this.#firstHi + 1
    const table = new Uint32Array(
      range <= Math.max(CHUNK_TABLE_FREE, parts.size * CHUNK_TABLE_PER_NUMBER) ? range : 0,
    )
    if (table.length > 0) for (let c = 0; c < count; c++) table[parts.his[c]! - this.#firstHi] = c + 1
    this.#chunkTable = table
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
      this.#his.byteLength +
      this.#mins.byteLength +
      this.#spans.byteLength +
      this.#shifts.byteLength +
      this.#bases.byteLength +
      this.#bounds.byteLength +
      this.#keys.byteLength +
      this.#wide.byteLength +
      this.#chunkTable.byteLength
    )
  }

  /** True when the set holds the number whose integer is `value`. Allocates nothing. */
  has(value: number): boolean {
    const hi = Math.floor(value / SPLIT)
    const chunk = this.#chunkOf(hi)
    if (chunk < 0) return false
    const offset = value - hi * SPLIT - this.#mins[chunk]!
    // Also false for an offset that is negative, fractional or NaN.
    if (offset >>> 0 !== offset || offset > this.#spans[chunk]!) return false
    const shift = this.#shifts[chunk]!
    const page = this.#bases[chunk]! + (offset >>> shift)
    const from = this.#bounds[page]!
    const to = this.#bounds[page + 1]!
    if (shift > KEY_BITS) return searchSorted(this.#wide, from, to, offset)
    return pageHas(this.#keys, from, to, offset & KEY_MASK, offset & ((1 << shift) - 1), shift)
  }

  /** The chunk of high part `hi`, or -1. */
  #chunkOf(hi: number): number {
    const table = this.#chunkTable
    if (table.length > 0) {
      const i = hi - this.#firstHi
      return i >= 0 && i < table.length ? table[i]! - 1 : -1
    }
    const his = this.#his
    let lo = 0
    let top = his.length - 1
    while (lo <= top) {
      const mid = (lo + top) >>> 1
      const h = his[mid]!
      if (h < hi) lo = mid + 1
      else if (h > hi) top = mid - 1
      else return mid
    }
    return -1
  }

  /**
   * The chunks in ascending order: the value of high part × 2^32, and the chunk's sorted low
   * parts (a new array per chunk).
   */
  *buckets(): Generator<{ readonly offset: number; readonly lows: Uint32Array }, void, undefined> {
    const bounds = this.#bounds
    for (let c = 0; c < this.#his.length; c++) {
      const shift = this.#shifts[c]!
      const min = this.#mins[c]!
      const first = this.#bases[c]!
      const last = first + Math.floor(this.#spans[c]! / 2 ** shift) + 1
      const start = bounds[first]!
      const lows = new Uint32Array(bounds[last]! - start)
      if (shift > KEY_BITS) {
        for (let i = 0; i < lows.length; i++) lows[i] = min + this.#wide[start + i]!
      } else {
        for (let page = first; page < last; page++) {
          // The page gives the offset's bits above the key.
          const above = Math.floor(((page - first) * 2 ** shift) / 2 ** KEY_BITS) * 2 ** KEY_BITS
          for (let i = bounds[page]!; i < bounds[page + 1]!; i++)
            lows[i - start] = min + above + this.#keys[i]!
        }
      }
      yield { offset: this.#his[c]! * SPLIT, lows }
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
 * True when the page `keys[from, to)` (ascending) holds `key`; `inPage` is the offset's
 * place in the page's span of 2^`shift`. The key's position is guessed by interpolation and
 * a window of {@link WINDOW} keys around the guess is searched branch-free, so no load waits
 * on a comparison that may be mispredicted and the processor can overlap lookups. Keys
 * outside the window are searched only when its ends say the key lies beyond them.
 */
function pageHas(
  keys: Uint16Array,
  from: number,
  to: number,
  key: number,
  inPage: number,
  shift: number,
): boolean {
  const n = to - from
  if (n < WINDOW) {
    for (let i = from; i < to; i++) {
      const x = keys[i]!
      if (x >= key) return x === key
    }
    return false
  }
  // n * inPage < 2^16 * 2^16, exact; `>>>` takes it whole.
  let lo = from + ((n * inPage) >>> shift) - WINDOW_LEAD
  if (lo < from) lo = from
  else if (lo > to - WINDOW) lo = to - WINDOW
  if (key < keys[lo]!) return searchSorted(keys, from, lo, key)
  if (key > keys[lo + WINDOW - 1]!) return searchSorted(keys, lo + WINDOW, to, key)
  // Lower bound within the window. Keys and key are below 2^16, so (x - key) >> 31 is -1
  // when x < key and 0 otherwise.
  let p = lo
  p += ((keys[p + 15]! - key) >> 31) & 16
  p += ((keys[p + 7]! - key) >> 31) & 8
  p += ((keys[p + 3]! - key) >> 31) & 4
  p += ((keys[p + 1]! - key) >> 31) & 2
  p += ((keys[p]! - key) >> 31) & 1
  return keys[p] === key
}

/** Binary search of ascending `sorted[from, to)` for `x`. */
function searchSorted(sorted: Uint16Array | Uint32Array, from: number, to: number, x: number): boolean {
  while (from < to) {
    const mid = (from + to) >>> 1
    const y = sorted[mid]!
    if (y < x) from = mid + 1
    else if (y > x) to = mid
    else return true
  }
  return false
}

/** The smallest shift from `least` to `most` that cuts `span` into at most `parts` parts. */
function shiftFor(span: number, parts: number, least: number, most: number): number {
  let shift = least
  while (shift < most && Math.floor(span / 2 ** shift) + 1 > parts) shift++
  return shift
}

/** Assembles a set from chunks of sorted, distinct low parts laid out in `lows`. */
function assemble(lows: Uint32Array, size: number, chunkHis: number[], chunkStarts: number[]): E164Set {
  const count = chunkHis.length
  const chunkEnd = (c: number): number => (c + 1 < count ? chunkStarts[c + 1]! : size)
  const mins = new Uint32Array(count)
  const spans = new Uint32Array(count)
  const shifts = new Uint8Array(count)
  const bases = new Uint32Array(count)
  let boundTotal = 0
  let keyTotal = 0
  let wideTotal = 0
  for (let c = 0; c < count; c++) {
    const start = chunkStarts[c]!
    const n = chunkEnd(c) - start
    const span = lows[chunkEnd(c) - 1]! - lows[start]!
    const dense = (Math.floor(span / 2 ** KEY_BITS) + 1) * BOUND_BYTES <= n * MAX_DIRECTORY_BYTES_PER_NUMBER
    // Dense: pages of about NUMBERS_PER_PAGE numbers, at most 2^16 offsets wide. Sparse:
    // slots of about NUMBERS_PER_SLOT numbers, which then span more than 2^16 offsets.
    const shift = dense
      ? shiftFor(span, Math.max(1, Math.ceil(n / NUMBERS_PER_PAGE)), 0, KEY_BITS)
      : shiftFor(span, Math.max(1, Math.ceil(n / NUMBERS_PER_SLOT)), KEY_BITS + 1, 31)
    mins[c] = lows[start]!
    spans[c] = span
    shifts[c] = shift
    bases[c] = boundTotal
    boundTotal += Math.floor(span / 2 ** shift) + 2
    if (dense) keyTotal += n
    else wideTotal += n
  }
  const bounds = new Uint32Array(boundTotal)
  const keys = new Uint16Array(keyTotal)
  const wide = new Uint32Array(wideTotal)
  let keyAt = 0
  let wideAt = 0
  for (let c = 0; c < count; c++) {
    const shift = shifts[c]!
    const dense = shift <= KEY_BITS
    const base = bases[c]!
    const last = base + Math.floor(spans[c]! / 2 ** shift) + 1
    // bounds[base + p] is the first position whose page (or slot) is p or later.
    let bound = base
    for (let i = chunkStarts[c]!; i < chunkEnd(c); i++) {
      const offset = lows[i]! - mins[c]!
      const page = base + (offset >>> shift)
      while (bound <= page) bounds[bound++] = dense ? keyAt : wideAt
      if (dense) keys[keyAt++] = offset & KEY_MASK
      else wide[wideAt++] = offset
    }
    while (bound <= last) bounds[bound++] = dense ? keyAt : wideAt
  }
  return E164Set.fromParts({
    size,
    his: Uint32Array.from(chunkHis),
    mins,
    spans,
    shifts,
    bases,
    bounds,
    keys,
    wide,
  })
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
    const chunkHis: number[] = []
    const runBases = new Uint32Array(HI_LIMIT)
    const shifts = new Uint8Array(HI_LIMIT)
    let runTotal = 0
    for (let hi = 0; hi < HI_LIMIT; hi++) {
      const count = counts[hi]!
      if (count === 0) continue
      chunkHis.push(hi)
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
    const chunkStarts: number[] = []
    let w = 0
    let b = 0
    let start = 0
    for (let r = 0; r < runTotal; r++) {
      if (b < chunkHis.length && r === runBases[chunkHis[b]!]) {
        chunkStarts.push(w)
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
    return assemble(kept, w, chunkHis, chunkStarts)
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
