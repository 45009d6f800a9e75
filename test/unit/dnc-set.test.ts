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
