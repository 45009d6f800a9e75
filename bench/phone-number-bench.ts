/**
 * Phone numbers on a cold cache: parsing plus type detection of numbers never seen before, as
 * a dialler's campaign list presents them, against a named baseline run side by side in this
 * process:
 *
 * - **baseline**: libphonenumber-js alone, `parsePhoneNumberWithError(number).getType()` (for
 *   the platform's `00` format, on the number with `+` instead).
 * - **parseNumber + type**: `parseNumber(number).type` (the compiled reading of E.164 input,
 *   libphonenumber where it does not answer).
 * - **checkNumber**: the outbound number checks (emergency codes, validity, premium rate,
 *   shared cost) on the same numbers.
 *
 * Every data set holds more distinct numbers than `parseNumber`'s memo keeps (10,000 per
 * generation; compiled readings are not memoised at all), and each pass goes through all of
 * them in order, so no pass finds a number it parsed before. The table also says how often the compiled reading left a number to
 * libphonenumber.
 *
 * Run: `npm run bench:numbers` (prints a Markdown table for BENCHMARKS.md).
 */
import { performance } from 'node:perf_hooks'
import { parsePhoneNumberWithError } from 'libphonenumber-js/max'
import { parseNumber } from '../dist/masking/phone-number.js'
import { readInternationalNumber } from '../dist/masking/number-plan.js'
import { checkNumber } from '../dist/policy/number-checks/number-check.js'

const NUMBERS_PER_SET = 200_000
/** libphonenumber is slow enough that a slice of each set gives a steady figure. */
const BASELINE_NUMBERS = 40_000
const WARM_UP_NUMBERS = 20_000
const ROUNDS = 3

/** A deterministic generator (mulberry32), so every run measures the same numbers. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function digits(next: () => number, count: number): string {
  let out = ''
  for (let i = 0; i < count; i += 1) out += String(Math.floor(next() * 10))
  return out
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T
}

/** Each set: a name and how one of its numbers is made from a random source. */
const DATA_SETS: readonly { name: string; make: (next: () => number) => string }[] = [
  {
    name: 'US (NANP, 12 area codes)',
    make: (next) =>
      `+1${pick(next, ['201', '212', '305', '312', '404', '415', '503', '602', '713', '808', '907', '206'])}${2 + Math.floor(next() * 8)}${digits(next, 6)}`,
  },
  {
    name: 'CN mobile',
    make: (next) =>
      `+86${pick(next, ['139', '138', '186', '189', '150', '177', '135', '158'])}${digits(next, 8)}`,
  },
  {
    name: 'CN landline',
    make: (next) => {
      const area = pick(next, ['10', '20', '21', '755', '571', '28', '27', '512'])
      return `+86${area}${2 + Math.floor(next() * 7)}${digits(next, area.length === 2 ? 7 : 6)}`
    },
  },
  {
    name: 'GB (mobile and London)',
    make: (next) =>
      next() < 0.5
        ? `+447${pick(next, ['4', '5', '7', '8', '9'])}${digits(next, 8)}`
        : `+4420${pick(next, ['3', '7', '8'])}${digits(next, 7)}`,
  },
  {
    name: 'DE (mobile and Berlin/Munich)',
    make: (next) =>
      next() < 0.5
        ? `+491${pick(next, ['51', '52', '60', '70', '71', '76'])}${digits(next, 8)}`
        : `+49${pick(next, ['30', '89'])}${digits(next, 8)}`,
  },
  {
    name: 'IN mobile',
    make: (next) => `+91${pick(next, ['6', '7', '8', '9'])}${digits(next, 9)}`,
  },
  {
    name: "CN mobile, platform format ('0086…')",
    make: (next) =>
      `0086${pick(next, ['139', '138', '186', '189', '150', '177', '135', '158'])}${digits(next, 8)}`,
  },
]

/** The platform's `00` form as E.164, as `parseNumber` reads it; libphonenumber needs the `+`. */
const asE164 = (number: string) => (number.startsWith('00') ? `+${number.slice(2)}` : number)

/** `count` distinct numbers: a repeat could find the memo warm. */
function numbersOf(make: (next: () => number) => string, count: number, seed: number): string[] {
  const next = random(seed)
  const numbers = new Set<string>()
  while (numbers.size < count) numbers.add(make(next))
  return [...numbers]
}

/** Nanoseconds per number for `run` over `numbers`, one pass. */
function nsPerNumber(numbers: readonly string[], run: (number: string) => unknown): number {
  let sink = 0
  const started = performance.now()
  for (const number of numbers) if (run(number) !== undefined) sink += 1
  const ns = ((performance.now() - started) * 1e6) / numbers.length
  if (sink < 0) throw new Error('unreachable')
  return ns
}

const baseline = (number: string) => parsePhoneNumberWithError(asE164(number)).getType()
const parsedType = (number: string) => parseNumber(number).type
const checked = (number: string) => checkNumber(number)

// Warm the JIT (and every calling code's tables) on numbers the measured passes never see.
for (const [index, set] of DATA_SETS.entries()) {
  const warm = numbersOf(set.make, WARM_UP_NUMBERS, 1_000 + index)
  for (const run of [baseline, parsedType, checked]) nsPerNumber(warm, run)
}

const rows = []
for (const [index, set] of DATA_SETS.entries()) {
  const numbers = numbersOf(set.make, NUMBERS_PER_SET, index + 1)
  const fallbacks = numbers.filter((n) => readInternationalNumber(asE164(n), 'CN') === undefined).length
  const allowed = numbers.filter((n) => checkNumber(n).allowed).length
  const slice = numbers.slice(0, BASELINE_NUMBERS)
  const runs = { baseline: [] as number[], parsed: [] as number[], checked: [] as number[] }
  // Alternate the sides so neither always runs on a colder or busier machine.
  for (let round = 0; round < ROUNDS; round += 1) {
    runs.baseline.push(nsPerNumber(slice, baseline))
    runs.parsed.push(nsPerNumber(numbers, parsedType))
    runs.checked.push(nsPerNumber(numbers, checked))
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number
  rows.push({
    name: set.name,
    fallbacks,
    allowed,
    baseline: median(runs.baseline),
    parsed: median(runs.parsed),
    checked: median(runs.checked),
  })
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const out = process.stdout
out.write(`\n### Parsing and type on a cold cache (${fmt(NUMBERS_PER_SET)} distinct numbers per set)\n\n`)
out.write(
  '| numbers | left to libphonenumber | baseline ns | parseNumber + type ns | ratio | checkNumber ns | ratio | allowed |\n',
)
out.write('|---|---:|---:|---:|---:|---:|---:|---:|\n')
for (const row of rows) {
  out.write(
    `| ${row.name} | ${fmt(row.fallbacks)} | ${fmt(row.baseline)} | ${fmt(row.parsed)} | ${(row.baseline / row.parsed).toFixed(1)}× | ${fmt(row.checked)} | ${(row.baseline / row.checked).toFixed(1)}× | ${fmt(row.allowed)} |\n`,
  )
}
out.write(
  `\nBaseline: \`parsePhoneNumberWithError(number).getType()\` over the first ${fmt(BASELINE_NUMBERS)} numbers of each set; ratio = baseline ÷ path. Node ${process.version}, medians of ${ROUNDS} alternating rounds.\n`,
)
