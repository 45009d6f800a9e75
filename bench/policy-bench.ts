/**
 * Outbound decisions per second: the standard outbound chain of `createCallwarden()` against
 * the naive path, side by side in this process, on the same numbers and the same database.
 *
 * - **callwarden**: `cw.pipeline.outbound.run({ tenantId, callee, purpose, at })` with every
 *   check of the standard chain, as what-if runs (`dryRun`: nothing is recorded, so every run
 *   decides from the same state; real calls are also held to 4 per second per tenant by the
 *   burst guard), awaited one after another and 64 at a time, in three situations:
 *   - *recently seen numbers*: 5,000 numbers judged round-robin, each judged before and again
 *     within a second (the per-process state — parsed numbers, attempt counts read within
 *     `listRefreshMs` — is warm, as for a dialler re-checking the head of its queue);
 *   - *first sight*: every run a number never judged before (a new campaign list): a full
 *     number parse and, for the attempt cap, a database read per number (concurrent runs'
 *     reads are batched);
 *   - *attempt caps off*: the ceiling the in-memory checks set (no ledger read at all).
 * - **naive** (the baseline, the way dialers such as VICIdial check before dialling):
 *   per call, a libphonenumber parse, `timezones()` of libphonenumber-geo-carrier and an
 *   `Intl` local-hour check in each zone, and one SQL lookup per list (the blacklist and a
 *   DNC table), each an indexed query through the same kysely connection.
 *
 * On the embedded default (SQLite) always; on MariaDB too when `CALLWARDEN_TEST_MYSQL_URL` is
 * set (`bash scripts/test-services.sh start && eval "$(bash scripts/test-services.sh env)"`).
 *
 * Run: `npm run bench:policy` (prints a Markdown table for BENCHMARKS.md).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parsePhoneNumberWithError } from 'libphonenumber-js/max'
import { timezones } from 'libphonenumber-geo-carrier'
import type { Kysely } from 'kysely'
import { createCallwarden, type Callwarden } from '../dist/index.js'

// Unique per run: a MariaDB test database outlives the run.
const RUN = randomBytes(3).toString('hex')
const TENANT = `bench-${RUN}`
const DNC_TABLE = `bench_dnc_${RUN}`
const DISTINCT_NUMBERS = 5_000
const BLACKLIST_ENTRIES = 10_000
const DNC_ROWS = 100_000
const CHAIN_DECISIONS = 200_000
/** Numbers judged once each in the first-sight rows (per concurrency). */
const FIRST_SIGHT = 100_000
const NAIVE_DECISIONS = 2_000
const CONCURRENCY = 64
/** Monday 14:00 in New York, 09:00 in Honolulu: inside every US calling window. */
const AT = new Date('2026-11-23T19:00:00Z')
const ADMIN = { id: 'bench', role: 'admin' } as const

/** Valid US numbers spread over real area codes (several time zones). */
const AREA_CODES = ['201', '212', '305', '312', '404', '415', '503', '602', '713', '808', '907', '206']
function usNumber(i: number, exchange = '55'): string {
  const area = AREA_CODES[i % AREA_CODES.length]!
  return `+1${area}${exchange}${String(10_000 + ((i * 7919) % 90_000)).slice(-5)}`
}

interface Stack {
  readonly name: string
  readonly config: Parameters<typeof createCallwarden>[0]
}

async function stacks(dir: string): Promise<Stack[]> {
  const base = {
    log: { level: 'silent' as const },
    audit: { signingKeyFile: join(dir, 'audit-key.json') },
    masking: { ivrHashSecretFile: join(dir, 'ivr-hash-secret') },
  }
  const sqlite = {
    ...base,
    databaseUrl: `sqlite:${join(dir, 'cw.db')}`,
    blobUrl: `file:${join(dir, 'blobs')}`,
  }
  const list: Stack[] = [
    { name: 'SQLite (embedded default)', config: sqlite },
    {
      // Every check but the attempt ledger decides from memory; with caps off the chain
      // does no I/O per call, which is the ceiling the in-memory checks set.
      name: 'SQLite, attempt caps off',
      config: {
        ...sqlite,
        databaseUrl: `sqlite:${join(dir, 'cw-nocaps.db')}`,
        policy: { attemptCaps: { perDay: null, perWeek: null } },
      },
    },
  ]
  const mysql = process.env.CALLWARDEN_TEST_MYSQL_URL
  if (mysql !== undefined) {
    list.push({
      name: 'MariaDB',
      config: { ...base, databaseUrl: mysql, blobUrl: `file:${join(dir, 'blobs-mysql')}` },
    })
  }
  return list
}

async function prepare(cw: Callwarden, numbers: readonly string[]): Promise<void> {
  await cw.tenants.create({ id: TENANT, name: 'US Co', protectionMode: 'none', defaultRegion: 'US' })
  // Blacklist entries none of the dialled numbers hit (the common case: the call goes on).
  const lines = ['number,direction,reason,expires_at']
  for (let i = 0; i < BLACKLIST_ENTRIES; i += 1) lines.push(`+1${String(2_025_550_000 + i)},both,,`)
  const report = await cw.policy.blacklist.importCsv({ tenantId: TENANT, csv: lines.join('\n'), by: ADMIN })
  if (report.errors.length > 0) throw new Error(`blacklist import rejected ${report.errors.length} lines`)
  // The naive path's DNC table, indexed, as a dialer keeps it.
  const db = cw.database.db as Kysely<any>
  await db.schema
    .createTable(DNC_TABLE)
    .ifNotExists()
    .addColumn('phone_number', 'varchar(20)', (c) => c.primaryKey())
    .execute()
  for (let start = 0; start < DNC_ROWS; start += 1000) {
    const rows = Array.from({ length: 1000 }, (_, k) => ({
      phone_number: `+1${String(3_035_550_000 + start + k)}`,
    }))
    await db.insertInto(DNC_TABLE).values(rows).execute()
  }
  // Warm every cache the chain has (tenant, blacklist copy, parsed numbers) before timing.
  for (const callee of numbers) {
    await cw.pipeline.outbound.run({ tenantId: TENANT, callee, purpose: 'service', at: AT }, { dryRun: true })
  }
}

async function chainRate(
  cw: Callwarden,
  numbers: readonly string[],
  concurrency: number,
  runs = CHAIN_DECISIONS,
): Promise<number> {
  let denied = 0
  const started = performance.now()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < runs) {
      const i = next++
      const decision = await cw.pipeline.outbound.run(
        { tenantId: TENANT, callee: numbers[i % numbers.length]!, purpose: 'service', at: AT },
        { dryRun: true },
      )
      if (decision.verdict !== 'allow') denied += 1
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  if (denied > 0)
    throw new Error(`${denied} benchmark calls were denied; the chain is not deciding what it should`)
  return runs / seconds
}

const hourFormats = new Map<string, Intl.DateTimeFormat>()
function localHour(zone: string, at: Date): number {
  let format = hourFormats.get(zone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' })
    hourFormats.set(zone, format)
  }
  return Number(format.format(at))
}

async function naiveRate(cw: Callwarden, numbers: readonly string[]): Promise<number> {
  const db = cw.database.db as Kysely<any>
  let denied = 0
  const started = performance.now()
  for (let i = 0; i < NAIVE_DECISIONS; i += 1) {
    const parsed = parsePhoneNumberWithError(numbers[i % numbers.length]!, 'US')
    if (!parsed.isValid()) denied += 1
    const zones = (await timezones(parsed)) ?? []
    if (zones.some((zone) => localHour(zone, AT) < 8 || localHour(zone, AT) >= 21)) denied += 1
    const e164 = parsed.number
    const listed = await db
      .selectFrom('cw_blacklist')
      .select('id')
      .where('tenant_id', '=', TENANT)
      .where('pattern', '=', e164)
      .executeTakeFirst()
    const dnc = await db
      .selectFrom(DNC_TABLE)
      .select('phone_number')
      .where('phone_number', '=', e164)
      .executeTakeFirst()
    if (listed !== undefined || dnc !== undefined) denied += 1
  }
  const seconds = (performance.now() - started) / 1000
  if (denied > 0) throw new Error(`${denied} naive calls were denied`)
  return NAIVE_DECISIONS / seconds
}

const dir = await mkdtemp(join(tmpdir(), 'cw-policy-bench-'))
const numbers = Array.from({ length: DISTINCT_NUMBERS }, (_, i) => usNumber(i))
// Numbers no run has judged: exchanges 56x and 57x, one list per concurrency.
const firstSight = ['56', '57'].map((exchange) =>
  Array.from({ length: FIRST_SIGHT }, (_, i) => usNumber(i, exchange)),
)
const rate = (value: number): string => Math.round(value).toLocaleString('en-US')
const rows: string[] = []
let chainSteps = 0
try {
  for (const stack of await stacks(dir)) {
    const cw = await createCallwarden(stack.config, { loadEnvironment: false })
    try {
      await prepare(cw, numbers)
      chainSteps = cw.pipeline.outbound.middlewareNames.length
      const naive = await naiveRate(cw, numbers)
      const sequential = await chainRate(cw, numbers, 1)
      const concurrent = await chainRate(cw, numbers, CONCURRENCY)
      const freshOne = await chainRate(cw, firstSight[0]!, 1, FIRST_SIGHT)
      const freshMany = await chainRate(cw, firstSight[1]!, CONCURRENCY, FIRST_SIGHT)
      rows.push(
        `| ${stack.name} | ${rate(sequential)} | ${rate(concurrent)} | ${rate(freshOne)} | ${rate(freshMany)} | ` +
          `${rate(naive)} | ${(sequential / naive).toFixed(0)}× |`,
      )
    } finally {
      await (cw.database.db as Kysely<any>).schema.dropTable(DNC_TABLE).ifExists().execute()
      await cw.close()
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}

console.log(
  `Outbound decisions/s (what-if runs of the ${chainSteps}-step standard chain): ${CHAIN_DECISIONS.toLocaleString('en-US')} runs over ${DISTINCT_NUMBERS.toLocaleString('en-US')} recently seen US numbers, ${FIRST_SIGHT.toLocaleString('en-US')} runs on numbers seen for the first time, ${NAIVE_DECISIONS.toLocaleString('en-US')} naive runs; blacklist ${BLACKLIST_ENTRIES.toLocaleString('en-US')} entries, naive DNC table ${DNC_ROWS.toLocaleString('en-US')} rows.\n`,
)
console.log(
  '| store | seen recently, one at a time | seen recently, 64 at a time | first sight, one at a time | first sight, 64 at a time | naive path | recently seen ÷ naive |',
)
console.log('| --- | --: | --: | --: | --: | --: | --: |')
for (const row of rows) console.log(row)
