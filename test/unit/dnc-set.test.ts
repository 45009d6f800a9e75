import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { changedState, replacedState, type DncListState } from '../../src/policy/dnc/dnc-list.js'
import {
  E164Set,
  E164ValueCollector,
  SortedE164SetBuilder,
  e164Value,
} from '../../src/policy/dnc/e164-set.js'

const SPLIT = 2 ** 32
const MAX = 999_999_999_999_999
const at = new Date('2030-03-01T00:00:00Z')
const noPause = async (): Promise<void> => {}

function hasOf(state: DncListState, value: number): boolean {
  if (state.additions.has(value)) return true
  return state.base.has(value) && !state.removals.has(value)
}

/** Numbers near the places the structure splits: bucket edges, the extremes, dense runs. */
const interesting = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.integer({ min: MAX - 40, max: MAX }),
  fc.integer({ min: 1, max: 5 }).chain((k) => fc.integer({ min: k * SPLIT - 3, max: k * SPLIT + 3 })),
  fc.integer({ min: 12_015_550_000, max: 12_015_550_200 }),
  fc.integer({ min: 8_613_900_000_000, max: 8_613_999_999_999 }),
  fc.integer({ min: 1, max: MAX }),
)

describe('e164Value', () => {
  it('reads + and up to 15 digits, the first not 0', () => {
    expect(e164Value('+8613988888888')).toBe(8_613_988_888_888)
    expect(e164Value('+999999999999999')).toBe(MAX)
    expect(e164Value('+1')).toBe(1)
    for (const bad of ['8613988888888', '+', '+0123', '+1234567890123456', '+86 139', '+86a', ''])
      expect(e164Value(bad)).toBe(-1)
  })
})

describe('E164Set', () => {
  it('holds exactly what it was given, across bucket edges and at the extremes', () => {
    const values = [1, 2, 9, SPLIT - 1, SPLIT, SPLIT + 1, 2 * SPLIT, 3 * SPLIT - 1, MAX - 1, MAX]
    const set = E164Set.fromValues([...values, ...values])
    expect(set.size).toBe(values.length)
    for (const v of values) expect(set.has(v)).toBe(true)
    for (const v of [3, SPLIT - 2, SPLIT + 2, 2 * SPLIT + 1, 3 * SPLIT, MAX - 2, 4 * SPLIT])
      expect(set.has(v)).toBe(false)
    expect([...set.toSortedValues()]).toEqual([...values].sort((a, b) => a - b))
  })

  it('is empty when given nothing', () => {
    const set = E164Set.fromValues([])
    expect(set.size).toBe(0)
    expect(set.has(8_613_988_888_888)).toBe(false)
  })

  it('refuses values that are not E.164 integers', () => {
    expect(() => E164Set.fromValues([0])).toThrow(RangeError)
    expect(() => E164Set.fromValues([1e15])).toThrow(RangeError)
    expect(() => E164Set.fromValues([1.5])).toThrow(RangeError)
    const builder = new SortedE164SetBuilder(2)
    builder.push(5)
    expect(() => builder.push(5)).toThrow(RangeError)
  })

  it('agrees with a Set for any values (property)', () => {
    fc.assert(
      fc.property(
        fc.array(interesting, { maxLength: 300 }),
        fc.array(interesting, { maxLength: 50 }),
        (values, probes) => {
          const set = E164Set.fromValues(values)
          const truth = new Set(values)
          expect(set.size).toBe(truth.size)
          for (const v of [...values, ...probes]) expect(set.has(v)).toBe(truth.has(v))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('builds large collections by scattering, with duplicates, dense runs and several buckets', async () => {
    const collector = new E164ValueCollector()
    const truth = new Set<number>()
    let seed = 7
    const random = (): number => {
      seed = (seed * 48_271) % 2_147_483_647
      return seed / 2_147_483_647
    }
    for (let i = 0; i < 150_000; i++) {
      const pick = random()
      const v =
        pick < 0.4
          ? 12_000_000_000 + Math.floor(random() * 8e9)
          : pick < 0.8
            ? 8_613_000_000_000 + Math.floor(random() * 7e9)
            : pick < 0.9
              ? 4_420_000_000_000 + Math.floor(random() * 3000)
              : SPLIT * 3 + Math.floor(random() * 50) - 25
      truth.add(v)
      collector.add(v)
      if (i % 7 === 0) collector.add(v)
    }
    const set = await collector.build()
    expect(set.size).toBe(truth.size)
    for (const v of truth) if (!set.has(v)) throw new Error(`missing ${v}`)
    let wrong = 0
    for (let i = 0; i < 100_000; i++) {
      const v = 8_613_000_000_000 + Math.floor(random() * 7e9)
      if (set.has(v) !== truth.has(v)) wrong++
    }
    expect(wrong).toBe(0)
    const sorted = set.toSortedValues()
    expect(sorted.every((v, i) => i === 0 || v > sorted[i - 1]!)).toBe(true)
    expect(set.bytes / set.size).toBeLessThan(6)
  })
})

/** The set of `values` checked against a plain Set: members, their neighbours and `probes`. */
function expectSameAs(set: E164Set, values: readonly number[], probes: readonly number[] = []): void {
  const truth = new Set(values)
  expect(set.size).toBe(truth.size)
  let wrong = 0
  for (const v of [...truth, ...probes]) {
    for (const p of [v - 1, v, v + 1]) {
      if (p >= 1 && p <= MAX && set.has(p) !== truth.has(p)) wrong++
    }
  }
  expect(wrong).toBe(0)
  expect([...set.toSortedValues()]).toEqual([...truth].sort((a, b) => a - b))
}

describe('E164Set: dense chunks (16-bit keys under a page directory)', () => {
  it('holds a dense national range in about 2 bytes a number', () => {
    // 200,000 numbers over 2 * 10^7 values: pages of 2^16 hold about 650 each.
    const values = Array.from({ length: 200_000 }, (_, i) => 12_015_000_000 + i * 100 + ((i * 37) % 100))
    const set = E164Set.fromValues(values)
    expectSameAs(set, values)
    expect(set.bytes / set.size).toBeLessThan(2.1)
  })

  it('finds keys far from where interpolation guesses them (clustered pages)', () => {
    // Each page of 2^16 values holds a tight cluster at one end and a few numbers at the other,
    // so the guessed window misses and the search goes left or right of it.
    const values: number[] = []
    for (let page = 0; page < 64; page++) {
      const base = 8_613_900_000_000 + page * 65_536
      const cluster = page % 2 === 0 ? base : base + 65_536 - 300
      for (let i = 0; i < 300; i++) values.push(cluster + i)
      values.push(page % 2 === 0 ? base + 65_535 : base, base + 32_768)
    }
    const set = E164Set.fromValues(values)
    expectSameAs(set, values, [8_613_900_000_000 + 20_000, 8_613_900_000_000 + 65_536 + 40_000])
  })

  it('holds every value of a full page, and pages of fewer numbers than a window', () => {
    const full = Array.from({ length: 65_536 }, (_, i) => 4_420_000_000_000 + i)
    const few = Array.from({ length: 31 }, (_, i) => 4_420_000_100_000 + i * 1000)
    const set = E164Set.fromValues([...full, ...few])
    expectSameAs(set, [...full, ...few], [4_420_000_065_536, 4_420_000_099_999])
  })

  it('splits at 2^32 and holds the extremes: 1, 10^15 - 1, chunk edges, empty chunks between', () => {
    const dense = (from: number, count: number): number[] =>
      Array.from({ length: count }, (_, i) => from + i * 3)
    const values = [
      1,
      2,
      ...dense(3, 500),
      ...dense(SPLIT - 1500, 500),
      SPLIT - 1,
      SPLIT,
      ...dense(SPLIT + 1, 500),
      // Chunks 2 to 4 empty.
      ...dense(5 * SPLIT - 1000, 400),
      ...dense(MAX - 1500, 500),
      MAX,
    ]
    const set = E164Set.fromValues(values)
    expectSameAs(set, values, [2 * SPLIT, 3 * SPLIT + 5, 4 * SPLIT - 1, 6 * SPLIT, MAX - 1])
  })

  it('mixes dense and sparse chunks, with and without a chunk table', () => {
    const dense = Array.from({ length: 5000 }, (_, i) => 12_015_550_000 + i * 7)
    // One number in each of many chunks far apart: too wide a range for a chunk table.
    const scattered = Array.from({ length: 3000 }, (_, i) => (i * 77 + 5) * SPLIT + 12_345 + i)
    const set = E164Set.fromValues([...dense, ...scattered])
    expectSameAs(set, [...dense, ...scattered], [SPLIT * 5 + 12_345, SPLIT * 6])
    const narrow = E164Set.fromValues([...dense, 2 * SPLIT + 5, 9 * SPLIT])
    expectSameAs(narrow, [...dense, 2 * SPLIT + 5, 9 * SPLIT], [3 * SPLIT, 10 * SPLIT, 8 * SPLIT + 5])
  })

  it('answers false for values that are not whole numbers in range', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 12_015_550_000 + i)
    const set = E164Set.fromValues(values)
    for (const bad of [
      12_015_550_000.5,
      12_015_550_999.25,
      Number.NaN,
      -12_015_550_000,
      0,
      -1,
      Infinity,
      1e15,
    ])
      expect(set.has(bad)).toBe(false)
  })

  it('iterates and folds dense sets back to the same numbers', async () => {
    const values = Array.from({ length: 20_000 }, (_, i) => 8_613_988_000_000 + i * 11)
    const base = E164Set.fromValues(values)
    let sum = 0
    let count = 0
    for (const { offset, lows } of base.buckets()) {
      for (const low of lows) {
        sum += offset + low - 8_613_988_000_000
        count++
      }
    }
    expect(count).toBe(values.length)
    expect(sum).toBe(values.reduce((a, v) => a + v - 8_613_988_000_000, 0))
    // An overlay larger than the base's sixteenth is folded into a new base.
    const removed = Float64Array.from(values.slice(0, 5000))
    const state = await changedState(replacedState(base, 1, at), 'remove', removed, 2, at, noPause)
    expect(state.additions.size + state.removals.size).toBe(0)
    expectSameAs(state.base, values.slice(5000), [values[0]!, values[4999]!])
  })

  it('agrees with a Set for dense clusters of any shape (property)', () => {
    const cluster = fc.record({
      start: fc.oneof(
        fc.integer({ min: 1, max: MAX - 70_000 }),
        fc.integer({ min: 1, max: 4 }).map((k) => k * SPLIT - 2000),
        fc.constant(MAX - 70_000),
      ),
      count: fc.integer({ min: 1, max: 600 }),
      stride: fc.integer({ min: 1, max: 200 }),
    })
    fc.assert(
      fc.property(
        fc.array(cluster, { minLength: 1, maxLength: 6 }),
        fc.array(interesting, { maxLength: 50 }),
        (clusters, probes) => {
          const values = clusters.flatMap(({ start, count, stride }) =>
            Array.from({ length: count }, (_, i) => start + i * stride).filter((v) => v <= MAX),
          )
          expectSameAs(E164Set.fromValues(values), values, probes)
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('list versions: base, additions and removals', () => {
  type Op = { kind: 'replace' | 'add' | 'remove'; values: number[] }
  const op: fc.Arbitrary<Op> = fc.record({
    kind: fc.constantFrom('replace', 'add', 'remove'),
    values: fc.array(interesting, { maxLength: 60 }),
  })

  it('agrees with a Set after any sequence of replace, add and remove (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 12 }),
        fc.array(interesting, { maxLength: 40 }),
        async (ops, probes) => {
          let state = replacedState(E164Set.EMPTY, 0, at)
          let truth = new Set<number>()
          const touched = new Set<number>(probes)
          for (const [i, { kind, values }] of ops.entries()) {
            for (const v of values) touched.add(v)
            if (kind === 'replace') {
              state = replacedState(E164Set.fromValues(values), i + 1, at)
              truth = new Set(values)
            } else {
              const sorted = Float64Array.from(new Set(values)).sort()
              state = await changedState(state, kind, sorted, i + 1, at, noPause)
              for (const v of values)
                if (kind === 'add') truth.add(v)
                else truth.delete(v)
            }
            expect(state.size).toBe(truth.size)
            expect(state.version).toBe(i + 1)
          }
          for (const v of touched) expect(hasOf(state, v)).toBe(truth.has(v))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('keeps changes in the overlay, then folds a large overlay into the base', async () => {
    const base = E164Set.fromValues(Array.from({ length: 1000 }, (_, i) => 8_613_900_000_000 + i * 10))
    let state = replacedState(base, 1, at)
    state = await changedState(state, 'add', Float64Array.of(12_015_550_123), 2, at, noPause)
    state = await changedState(state, 'remove', Float64Array.of(8_613_900_000_000), 3, at, noPause)
    expect(state.base).toBe(base)
    expect([state.additions.size, state.removals.size, state.size]).toEqual([1, 1, 1000])
    // Removing a number of the base and adding it back leaves no tombstone.
    state = await changedState(state, 'add', Float64Array.of(8_613_900_000_000), 4, at, noPause)
    expect(state.removals.size).toBe(0)
    expect(hasOf(state, 8_613_900_000_000)).toBe(true)

    const many = Float64Array.from({ length: 5000 }, (_, i) => 12_000_000_000 + i)
    state = await changedState(state, 'add', many, 5, at, noPause)
    expect(state.additions.size).toBe(0)
    expect(state.base.size).toBe(6001)
    expect(state.size).toBe(6001)
    for (const v of [12_015_550_123, 12_000_000_000, 12_000_004_999, 8_613_900_000_010])
      expect(hasOf(state, v)).toBe(true)
    expect(hasOf(state, 12_000_005_000)).toBe(false)

    state = await changedState(state, 'remove', many, 6, at, noPause)
    expect(state.base.size).toBe(1001)
    expect(hasOf(state, 12_000_000_001)).toBe(false)
    expect(hasOf(state, 8_613_900_009_990)).toBe(true)
  })
})
