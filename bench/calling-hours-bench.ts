/**
 * Calling-hours benchmark against a named baseline, run side by side in this process:
 *
 * - `CallingHoursEngine.evaluate()` on parsed numbers (locale from the in-memory prefix map,
 *   compiled rule sets, cached zone offsets), alone and through the `callingHours()`
 *   middleware in a pipeline;
 * - baseline ("naive"): what the check costs done the obvious way — libphonenumber-geo-carrier
 *   `timezones()` per call (it reads and decodes its BSON file every time) plus
 *   `Intl.DateTimeFormat` formatting of the local time in every zone per call.
 *
 * Numbers are a mix of US (single- and multi-zone area codes, several states) and CN numbers;
 * instants are spread over 2026–2027 so that allowed and denied calls both occur.
 *
 * Run: `npm run build && npx tsx bench/calling-hours-bench.ts` (prints a Markdown table).
 */
import { performance } from 'node:perf_hooks'
import { parsePhoneNumberWithError } from 'libphonenumber-js/max'
import { timezones } from 'libphonenumber-geo-carrier'
import { parseNumber, type ParsedNumber } from '../dist/masking/phone-number.js'
import type { OutboundCall } from '../dist/pipeline/call-events.js'
import { createPipeline } from '../dist/pipeline/pipeline.js'
import { CallingHoursEngine, calleeLocale, callingHours, loadCalleeLocaleData } from '../dist/policy/index.js'
import { numberChecks } from '../dist/policy/number-checks/number-checks-middleware.js'

const DECISIONS = 200_000
const NAIVE_DECISIONS = 2_000
const ROUNDS = 3

const NUMBERS = [
  '+12125550123',
  '+13055550123',
  '+14055550123',
  '+14105550123',
  '+12065550123',
  '+14015550123',
  '+12085550123',
  '+17015550123',
  '+19075550123',
  '+13125550123',
  '+8613988888888',
  '+862012345678',
]
const FROM = Date.parse('2026-01-01T00:00:00Z')
const SPAN = 2 * 365 * 86_400_000
const instants = Array.from({ length: 4096 }, (_, i) => new Date(FROM + ((i * 2_654_435_761) % SPAN)))

const engine = new CallingHoursEngine()
loadCalleeLocaleData()
const parsed: ParsedNumber[] = NUMBERS.map((n) => parseNumber(n))

/** Mixed instants (about half denied), or one instant of US daytime (all allowed). */
function engineRun(count: number, daytime = false): number {
  let allowed = 0
  const us = parsed.filter((p) => p.countryCode === '1')
  const numbers = daytime ? us : parsed
  const noon = new Date('2026-06-03T19:00:00Z') // 15:00 EDT … 10:00 HDT
  const start = performance.now()
  for (let i = 0; i < count; i += 1) {
    const decision = engine.evaluate({
      locale: calleeLocale(numbers[i % numbers.length]!),
      purpose: 'marketing',
      at: daytime ? noon : instants[i & 4095]!,
    })
    if (decision.allowed) allowed += 1
  }
  const seconds = (performance.now() - start) / 1000
  if (daytime ? allowed !== count : allowed === 0 || allowed === count) {
    throw new Error('unexpected mix of allowed and denied calls')
  }
  return count / seconds
}

async function pipelineRun(count: number, withNumberChecks: boolean, withHours = true): Promise<number> {
  let chain = createPipeline<OutboundCall>({ eventType: 'outbound' })
  if (withNumberChecks) chain = chain.use(numberChecks({ regionOf: () => 'US' }))
  chain = withHours
    ? chain.use(callingHours({ engine, regionOf: () => 'US' }))
    : chain.use(async function passThrough(_ctx, next) {
        await next()
      })
  const start = performance.now()
  for (let i = 0; i < count; i += 1) {
    await chain.run({
      tenantId: 'acme',
      callId: 'c',
      callee: NUMBERS[i % NUMBERS.length]!,
      purpose: 'marketing',
      at: instants[i & 4095]!,
    })
  }
  return count / ((performance.now() - start) / 1000)
}

const formats = new Map<string, Intl.DateTimeFormat>()
function naiveLocalHour(zone: string, at: Date): { hour: number; weekday: string } {
  // Formatters are at least reused; the per-call cost is the format itself.
  let format = formats.get(zone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      hour: 'numeric',
      weekday: 'short',
    })
    formats.set(zone, format)
  }
  const parts = format.formatToParts(at)
  return {
    hour: Number(parts.find((p) => p.type === 'hour')!.value),
    weekday: parts.find((p) => p.type === 'weekday')!.value,
  }
}

async function naiveRun(count: number): Promise<number> {
  let allowed = 0
  const start = performance.now()
  for (let i = 0; i < count; i += 1) {
    const phone = parsePhoneNumberWithError(NUMBERS[i % NUMBERS.length]!)
    const zones = (await timezones(phone)) ?? ['UTC']
    const at = instants[i & 4095]!
    let ok = true
    for (const zone of zones) {
      const { hour } = naiveLocalHour(zone, at)
      if (hour < 8 || hour >= 21) ok = false
    }
    if (ok) allowed += 1
  }
  const perSecond = count / ((performance.now() - start) / 1000)
  if (allowed === 0 || allowed === count) throw new Error('expected both allowed and denied calls')
  return perSecond
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const results = {
  engine: [] as number[],
  allowed: [] as number[],
  passThrough: [] as number[],
  middleware: [] as number[],
  chain: [] as number[],
  naive: [] as number[],
}
engineRun(20_000) // warm-up: compiles rule sets, loads zone years
await pipelineRun(20_000, true)
await naiveRun(200)
for (let round = 0; round < ROUNDS; round += 1) {
  results.engine.push(engineRun(DECISIONS))
  results.allowed.push(engineRun(DECISIONS, true))
  results.passThrough.push(await pipelineRun(DECISIONS / 2, false, false))
  results.middleware.push(await pipelineRun(DECISIONS / 2, false))
  results.chain.push(await pipelineRun(DECISIONS / 2, true))
  results.naive.push(await naiveRun(NAIVE_DECISIONS))
}

const naive = median(results.naive)
const row = (name: string, perSecond: number): string =>
  `| ${name} | ${Math.round(perSecond).toLocaleString('en-US')} | ${(1e6 / perSecond).toFixed(2)} | ${(perSecond / naive).toFixed(0)}× |`
console.log('| path | decisions/s | µs/decision | vs. naive |')
console.log('| --- | ---: | ---: | ---: |')
console.log(row('baseline (naive): `timezones()` + `Intl` format per call', naive))
console.log(row('`evaluate()`, allowed calls (US daytime)', median(results.allowed)))
console.log(row('`evaluate()`, mixed instants (about half denied)', median(results.engine)))
console.log(row('pipeline runner alone (one pass-through middleware)', median(results.passThrough)))
console.log(row('pipeline: `callingHours()` alone, mixed instants', median(results.middleware)))
console.log(row('pipeline: `numberChecks()` + `callingHours()`, mixed instants', median(results.chain)))
console.log(`\nNode ${process.version}, medians of ${ROUNDS} alternating rounds.`)
