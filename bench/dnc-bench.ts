/**
 * Do-not-call set benchmark, against named baselines run side by side in this process:
 *
 * 1. The registry: a list of N random realistic numbers (half US NANP, half CN mobiles;
 *    default N = 100 M) written to a text file, loaded through `DncRegistry.load()`; then
 *    memory (heapUsed + arrayBuffers after GC), lookup time for hits and misses (1 M
 *    lookups in random order, batched timing, median of 3 rounds), a false-positive check
 *    against ground truth, and a change file (adds and removes) applied on top.
 * 2. The machine's cost of one cache miss at that moment, measured right after the lookups:
 *    random reads of a 400 MB `Uint32Array`, dependent (each index comes from the last read:
 *    the latency of one miss) and independent (misses overlap). Then the compact set alone,
 *    `has(value)`, built from the same N numbers.
 * 3. Baselines at the largest size they manage (a V8 `Set` holds at most 2^24 entries):
 *    `Set<number>` and `Set<string>` of E.164 numbers, and the compact set built from the
 *    same numbers, for ratios at equal size.
 *
 * The load average is printed before each timed step: the machine may be shared.
 *
 * Ground truth without a second copy of 100 M numbers: a number is eligible for the list
 * only when a keyed hash of it is even, and misses are drawn from the same ranges with the
 * hash odd, so every miss is known to be absent.
 *
 * Run: `npm run bench:dnc` (env `DNC_BENCH_N` sets N; `DNC_BENCH_DIR` the scratch folder).
 */
import { readFileSync } from 'node:fs'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { ManualClock } from '../dist/clock.js'
import { DncRegistry } from '../dist/policy/index.js'
import { E164ValueCollector } from '../dist/policy/dnc/e164-set.js'

const N = Number(process.env.DNC_BENCH_N ?? 100_000_000)
/** Entries of the cache-miss baseline's array (400 MB of Uint32). */
const MISS_BASELINE_ENTRIES = 100_000_000
const BASELINE_N = Math.min(N, 16_000_000)
const STRING_BASELINE_N = Math.min(N, 8_000_000)
const LOOKUPS = 1_000_000
const FP_PROBES = 2_000_000
const CHANGES = 100_000
const DIR = process.env.DNC_BENCH_DIR ?? '/tmp/cw-dnc-bench'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:dnc does)')

function memory(): { heap: number; arrayBuffers: number } {
  gc!()
  gc!()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers }
}

/** The 1-minute load average, noted next to each timed step. */
const loads: number[] = []
function noteLoad(step: string): void {
  const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  loads.push(load)
  console.log(`  load ${load.toFixed(2)} before ${step}`)
}

const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

/** xorshift32: fast, reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s
  }
}

/** A keyed hash of a number: even means eligible for the list, odd means a guaranteed miss. */
function eligible(value: number): boolean {
  const hi = Math.floor(value / 4294967296)
  let h = (value >>> 0) ^ Math.imul(hi, 0x9e3779b1)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return ((h ^ (h >>> 16)) & 1) === 0
}

/** A realistic number: US NANP (+1 NXX NXX XXXX) or a CN mobile (+86 1[3-9]X XXXX XXXX). */
function draw(next: () => number): number {
  const a = next()
  if ((a & 1) === 0) {
    const npa = 200 + (next() % 800)
    const nxx = 200 + (next() % 800)
    return 1e10 + npa * 1e7 + nxx * 1e4 + (next() % 10_000)
  }
  return 86e11 + (13 + (next() % 7)) * 1e9 + (next() % 1e9)
}

/** The list's numbers, in file order: the seeded stream of eligible draws. */
function* listNumbers(count: number): Generator<number> {
  const next = rng(0x5eed)
  for (let i = 0; i < count;) {
    const v = draw(next)
    if (!eligible(v)) continue
    i++
    yield v
  }
}

function misses(count: number): number[] {
  const next = rng(0xbadcafe)
  const out: number[] = []
  while (out.length < count) {
    const v = draw(next)
    if (!eligible(v)) out.push(v)
  }
  return out
}

async function writeList(file: string, count: number): Promise<number> {
  const handle = await open(file, 'w')
  const buffer = Buffer.allocUnsafe(1 << 23)
  let at = 0
  for (const v of listNumbers(count)) {
    if (at > buffer.length - 20) {
      await handle.write(buffer, 0, at)
      at = 0
    }
    buffer[at++] = 43
    const digits = v >= 1e12 ? 13 : 11
    for (let d = digits - 1, x = v; d >= 0; d--, x = Math.floor(x / 10)) buffer[at + d] = 48 + (x % 10)
    at += digits
    buffer[at++] = 10
  }
  await handle.write(buffer, 0, at)
  await handle.close()
  return (await stat(file)).size
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
}

/** CPU time of this process (user + system), in ms: the machine is shared, so wall time overstates. */
function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * Nanoseconds of CPU time per call of `fn` over `inputs` (median of 5 rounds), and of wall
 * time (the best round: the one least disturbed by other work on the machine).
 */
function timePerLookup<T>(
  inputs: readonly T[],
  fn: (x: T) => unknown,
): { ns: number; wallNs: number; found: number } {
  const cpu: number[] = []
  const wall: number[] = []
  let found = 0
  for (let r = 0; r < 5; r++) {
    found = 0
    const c = cpuMs()
    const start = performance.now()
    for (let i = 0; i < inputs.length; i++) if (fn(inputs[i]!)) found++
    wall.push(((performance.now() - start) * 1e6) / inputs.length)
    cpu.push(((cpuMs() - c) * 1e6) / inputs.length)
  }
  return { ns: median(cpu), wallNs: Math.min(...wall), found }
}

const ns = (t: { ns: number; wallNs: number }): string => `${t.ns.toFixed(0)} (wall ${t.wallNs.toFixed(0)})`

function shuffled<T>(xs: T[]): T[] {
  const next = rng(42)
  for (let i = xs.length - 1; i > 0; i--) {
    const j = next() % (i + 1)
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
  return xs
}

/**
 * The cost of one read that misses the cache, now: random reads of a 400 MB array, dependent
 * (a random cycle: each read gives the next index) and independent (random indices).
 */
function cacheMissBaseline(): {
  dependent: { ns: number; wallNs: number }
  independent: { ns: number; wallNs: number }
} {
  const next = new Uint32Array(MISS_BASELINE_ENTRIES)
  for (let i = 0; i < next.length; i++) next[i] = i
  const random = rng(7)
  // Sattolo's shuffle: one cycle through every entry.
  for (let i = next.length - 1; i > 0; i--) {
    const j = random() % i
    const t = next[i]!
    next[i] = next[j]!
    next[j] = t
  }
  const indices = Array.from({ length: LOOKUPS }, () => random() % next.length)
  let at = 0
  const dependent = timePerLookup(indices, () => (at = next[at]!) === 0)
  const independent = timePerLookup(indices, (i) => next[i] === 0)
  return { dependent, independent }
}

const rows: string[][] = []
const row = (...cells: (string | number)[]): void => {
  rows.push(cells.map(String))
  console.log(cells.join(' | '))
}

async function main(): Promise<void> {
  await mkdir(DIR, { recursive: true })
  const file = `${DIR}/list-${N}.txt`
  console.log(`Node ${process.version}; N = ${N.toLocaleString('en-US')}`)
  let t = performance.now()
  const fileBytes = await writeList(file, N)
  console.log(
    `wrote ${MB(fileBytes)} in ${((performance.now() - t) / 1000).toFixed(1)} s (not measured below)`,
  )

  // Hits: the first LOOKUPS numbers of the list, shuffled; misses: known absent.
  const hitValues = shuffled([...listNumbers(LOOKUPS)])
  const missValues = misses(FP_PROBES)
  const hitStrings = hitValues.map((v) => `+${v}`)
  const missStrings = missValues.slice(0, LOOKUPS).map((v) => `+${v}`)

  // 1. The registry, loaded from the file.
  const registry = new DncRegistry({ clock: new ManualClock(0), audit: { append: async () => undefined } })
  const before = memory()
  t = performance.now()
  let c = cpuMs()
  const report = await registry.load({ list: 'national', source: file })
  const loadMs = performance.now() - t
  const loadCpuMs = cpuMs() - c
  const after = memory()
  const info = registry.lists()[0]!
  console.log(
    `loaded ${report.accepted.toLocaleString('en-US')} lines, ${report.size.toLocaleString('en-US')} distinct, ${report.parsedInFull} parsed in full, ${report.rejected} rejected`,
  )
  const heapDelta = after.heap - before.heap
  const abDelta = after.arrayBuffers - before.arrayBuffers
  const match = (e164: string): unknown => registry.match('acme', e164)
  noteLoad('registry lookups')
  const hits = timePerLookup(hitStrings, match)
  const missesTimed = timePerLookup(missStrings, match)
  let falsePositives = 0
  for (const v of missValues) if (registry.match('acme', `+${v}`) !== undefined) falsePositives++
  if (hits.found !== hitStrings.length) throw new Error(`lost ${hitStrings.length - hits.found} hits`)
  row(
    'registry (compact set)',
    report.size.toLocaleString('en-US'),
    `${(loadCpuMs / 1000).toFixed(1)} s CPU (${(loadMs / 1000).toFixed(1)} s wall) from a ${MB(fileBytes)} file`,
    `${MB(abDelta)} arrays + ${MB(heapDelta)} heap = ${((abDelta + heapDelta) / report.size).toFixed(2)} B/number (lists(): ${MB(info.bytes)})`,
    ns(hits),
    ns(missesTimed),
    `${falsePositives} in ${FP_PROBES.toLocaleString('en-US')}`,
  )

  // A change file on top: adds and removes, then lookups through the overlay.
  const adds = misses(FP_PROBES + CHANGES)
    .slice(FP_PROBES)
    .map((v) => `+${v}`)
  const removes = hitStrings.slice(0, CHANGES)
  c = cpuMs()
  await registry.load({ list: 'national', source: adds, mode: 'add' })
  const addMs = cpuMs() - c
  c = cpuMs()
  await registry.load({ list: 'national', source: removes, mode: 'remove' })
  const removeMs = cpuMs() - c
  const overlayHits = timePerLookup(hitStrings.slice(CHANGES), match)
  const overlayMisses = timePerLookup(missStrings, match)
  const removedStill = removes.filter((e) => registry.match('acme', e) !== undefined).length
  const addedMissing = adds.filter((e) => registry.match('acme', e) === undefined).length
  if (removedStill + addedMissing > 0) throw new Error('a change file was not applied')
  row(
    `+ change files (${CHANGES.toLocaleString('en-US')} adds, ${CHANGES.toLocaleString('en-US')} removes)`,
    registry.lists()[0]!.size.toLocaleString('en-US'),
    `add ${addMs.toFixed(0)} ms CPU, remove ${removeMs.toFixed(0)} ms CPU`,
    `overlay ${MB(registry.lists()[0]!.bytes - info.bytes)}`,
    ns(overlayHits),
    ns(overlayMisses),
    '0 (checked)',
  )
  await registry.drop('national')
  await rm(file, { force: true })

  // 2. The cost of one cache miss now (the full-size set alone is timed last).
  noteLoad('cache-miss baseline')
  const miss = cacheMissBaseline()
  row(
    'baseline: one random read of a 400 MB Uint32Array',
    `${(MISS_BASELINE_ENTRIES / 1e6).toFixed(0)} M entries`,
    '',
    '',
    `dependent ${ns(miss.dependent)}`,
    `independent ${ns(miss.independent)}`,
    '',
  )

  // 3. Baselines at the size a Set manages, and the compact set at the same size.
  const baseline = [...listNumbers(BASELINE_N)]
  // The hit sample is the head of the same stream, so every hit is among the baseline's numbers.
  const baseHits = hitValues
  const inBaseline = new Set<number>()
  {
    const m0 = memory()
    c = cpuMs()
    for (const v of baseline) inBaseline.add(v)
    const buildMs = cpuMs() - c
    const m1 = memory()
    noteLoad('Set<number> lookups')
    const h = timePerLookup(baseHits, (v) => inBaseline.has(v))
    const m = timePerLookup(missValues.slice(0, LOOKUPS), (v) => inBaseline.has(v))
    row(
      'baseline: Set<number>',
      inBaseline.size.toLocaleString('en-US'),
      `${(buildMs / 1000).toFixed(1)} s CPU (from memory)`,
      `${MB(m1.heap - m0.heap)} heap = ${((m1.heap - m0.heap) / inBaseline.size).toFixed(1)} B/number`,
      ns(h),
      ns(m),
      '0',
    )
  }
  inBaseline.clear()
  {
    const collector = new E164ValueCollector()
    const m0 = memory()
    c = cpuMs()
    for (const v of baseline) collector.add(v)
    const set = await collector.build()
    const buildMs = cpuMs() - c
    const m1 = memory()
    const h = timePerLookup(baseHits, (v) => set.has(v))
    const m = timePerLookup(missValues.slice(0, LOOKUPS), (v) => set.has(v))
    row(
      'compact set, same numbers (has(value))',
      set.size.toLocaleString('en-US'),
      `${(buildMs / 1000).toFixed(1)} s CPU (from memory)`,
      `${MB(m1.arrayBuffers - m0.arrayBuffers)} arrays + ${MB(m1.heap - m0.heap)} heap = ${((m1.arrayBuffers - m0.arrayBuffers + m1.heap - m0.heap) / set.size).toFixed(2)} B/number`,
      ns(h),
      ns(m),
      '0',
    )
  }
  {
    const strings = baseline.slice(0, STRING_BASELINE_N).map((v) => `+${v}`)
    const m0 = memory()
    c = cpuMs()
    const inStrings = new Set<string>(strings)
    const buildMs = cpuMs() - c
    const m1 = memory()
    const h = timePerLookup(hitStrings, (e) => inStrings.has(e))
    const m = timePerLookup(missStrings, (e) => inStrings.has(e))
    row(
      'baseline: Set<string> (E.164 strings)',
      inStrings.size.toLocaleString('en-US'),
      `${(buildMs / 1000).toFixed(1)} s CPU (from memory)`,
      `${MB(m1.heap - m0.heap)} heap incl. strings = ${((m1.heap - m0.heap) / inStrings.size).toFixed(1)} B/number`,
      ns(h),
      ns(m),
      '0',
    )
  }
  // Last, so the full-size set (kept alive by the timing closures' feedback) cannot skew the
  // memory figures of the steps before.
  {
    const collector = new E164ValueCollector()
    for (const v of listNumbers(N)) collector.add(v)
    c = cpuMs()
    const set = await collector.build()
    const buildMs = cpuMs() - c
    noteLoad('has() at full size')
    const h = timePerLookup(hitValues, (v) => set.has(v))
    const m = timePerLookup(missValues.slice(0, LOOKUPS), (v) => set.has(v))
    if (h.found !== LOOKUPS || m.found !== 0) throw new Error('has() disagrees with the ground truth')
    row(
      'compact set, same list, `has(value)`',
      set.size.toLocaleString('en-US'),
      `${(buildMs / 1000).toFixed(1)} s CPU (from memory)`,
      `${MB(set.bytes)} arrays = ${(set.bytes / set.size).toFixed(2)} B/number`,
      ns(h),
      ns(m),
      '0',
    )
  }
  console.log(
    '\n| structure | numbers | build / load | memory | hit ns CPU (wall) | miss ns CPU (wall) | false positives |',
  )
  console.log('| --- | --: | --- | --- | --: | --: | --- |')
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
  console.log(`\nload average (1 min) before the timed steps: ${loads.map((l) => l.toFixed(2)).join(', ')}`)
}

await main()
