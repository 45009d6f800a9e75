/**
 * Attempt caps and the burst guard as `createCallwarden()` assembles them, on both stacks:
 * caps with exact next allowed times, the lowest cap winning, dry runs recording nothing,
 * denied calls never counting, tenant isolation, concurrent deciders in one process and in
 * several OS processes against MariaDB, pruning; the burst guard on frozen time, with
 * announced bursts.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import type { OutboundCall, OutboundPurpose } from '../../src/pipeline/call-events.js'
import { createPipeline } from '../../src/pipeline/pipeline.js'
import { attemptCap } from '../../src/policy/attempts/attempt-cap-middleware.js'
import { AttemptLedger } from '../../src/policy/attempts/attempt-ledger.js'
import { systemClock } from '../../src/clock.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { freshMysqlDatabase } from './services.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const ADMIN = { id: 'admin-1', role: 'admin' } as const
const AGENT = { id: 'agent-7', role: 'agent' } as const
const AUDITOR = { id: 'auditor-1', role: 'auditor' } as const
const START = new Date('2030-03-01T08:00:00Z')
const HOUR = 3_600_000

// Callbacks the customer asked for: no calling hours and no consent apply, so these tests
// can move the clock through the night and see the caps alone.
const outbound = (tenantId: string, callee: string, purpose: OutboundPurpose = 'callback'): OutboundCall => ({
  type: 'outbound',
  tenantId,
  callId: `call-${randomBytes(4).toString('hex')}`,
  callee,
  purpose,
})

for (const stack of CALLWARDEN_STACKS) {
  describe(`attempt caps and burst guard on ${stack.name}`, () => {
    let dir: string
    let cw: Callwarden
    let dispose: () => Promise<void>
    const clock = new ManualClock(START)
    // Each test starts a day after the previous one: no attempt window and no burst window
    // carries over from one test into the next.
    let now = START
    beforeEach(() => {
      now = new Date(now.getTime() + 200 * HOUR)
      clock.set(now)
    })

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-attempts-'))
      const opened = await stack.open(dir)
      dispose = opened.dispose
      cw = await createCallwarden(
        {
          ...opened.config,
        },
        { loadEnvironment: false, clock },
      )
      for (const id of ['acme', 'other', 'burst', 'calm']) {
        await cw.tenants.create({ id, name: id, protectionMode: 'mask' })
      }
    })

    afterAll(async () => {
      await cw?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    it('allows 3 calls to a number in 24 h, then denies with the exact next allowed time', async () => {
      const number = '+8613922220001'
      const t0 = now.getTime()
      for (const offset of [0, 2 * HOUR, 5 * HOUR]) {
        clock.set(t0 + offset)
        expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('allow')
      }
      clock.set(t0 + 6 * HOUR)
      const denied = await cw.pipeline.outbound.run(outbound('acme', number))
      expect(denied.verdict).toBe('deny')
      expect(denied.reasons.at(-1)).toEqual(
        expect.objectContaining({
          code: 'ERR_POLICY_ATTEMPT_CAP',
          middleware: 'attemptCap',
          details: {
            cap: 'tenant:24h',
            windowHours: 24,
            count: 3,
            max: 3,
            nextAllowedAt: new Date(t0 + 24 * HOUR).toISOString(),
            citation: null,
          },
        }),
      )
      expect(denied.nextAllowedAt).toEqual(new Date(t0 + 24 * HOUR))
      expect(JSON.stringify(denied.reasons)).not.toContain('13922220001')
      clock.set(t0 + 24 * HOUR - 1)
      expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('deny')
      clock.set(t0 + 24 * HOUR)
      expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('allow')
      // The same number in another tenant has its own count.
      expect((await cw.pipeline.outbound.run(outbound('other', number))).verdict).toBe('allow')
      expect(
        await cw.policy.attempts.count({ tenantId: 'acme', number, at: clock.now(), windowHours: 48 }),
      ).toBe(4)
      expect(
        await cw.policy.attempts.count({ tenantId: 'other', number, at: clock.now(), windowHours: 48 }),
      ).toBe(1)
    })

    it('applies the 7-day cap across days', async () => {
      const number = '+8613922220002'
      const t0 = now.getTime()
      for (let day = 0; day < 7; day++) {
        clock.set(t0 + day * 24 * HOUR)
        expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('allow')
      }
      clock.set(t0 + 7 * 24 * HOUR - 1)
      const denied = await cw.pipeline.outbound.run(outbound('acme', number))
      expect(denied.reasons.at(-1)?.details).toMatchObject({
        cap: 'tenant:7d',
        windowHours: 168,
        count: 7,
        max: 7,
        nextAllowedAt: new Date(t0 + 7 * 24 * HOUR).toISOString(),
      })
    })

    it('dry runs record nothing; denied calls never count', async () => {
      const number = '+8613922220003'
      for (let i = 0; i < 5; i++) {
        const whatIf = await cw.pipeline.outbound.run(outbound('acme', number), { dryRun: true })
        expect(whatIf.verdict).toBe('allow')
      }
      // Marketing without consent is denied before the cap: not counted.
      for (let i = 0; i < 5; i++) {
        expect((await cw.pipeline.outbound.run(outbound('acme', number, 'marketing'))).verdict).toBe('deny')
      }
      expect(await cw.policy.attempts.count({ tenantId: 'acme', number, at: now, windowHours: 24 })).toBe(0)
      for (let i = 0; i < 3; i++) {
        clock.advance(1000)
        expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('allow')
      }
      const whatIf = await cw.pipeline.outbound.run(outbound('acme', number), { dryRun: true })
      expect(whatIf.reasons.at(-1)?.code).toBe('ERR_POLICY_ATTEMPT_CAP')
      expect(
        await cw.policy.attempts.count({ tenantId: 'acme', number, at: clock.now(), windowHours: 24 }),
      ).toBe(3)
    })

    it('takes the lowest applicable cap: extra caps (state rules) on top of the tenant caps', async () => {
      const number = '+8613922220004'
      const chain = createPipeline<OutboundCall>({ clock, eventType: 'outbound' }).use(
        attemptCap({
          ledger: cw.policy.attempts,
          caps: cw.policy.attemptCapsFor,
          extraCaps: (ctx) =>
            ctx.event.purpose === 'marketing'
              ? [{ id: 'US-FL:24h', max: 2, windowHours: 24, citation: 'Fla. Stat. 501.616(6)(b)' }]
              : [],
        }),
      )
      expect((await chain.run(outbound('acme', number, 'marketing'))).verdict).toBe('allow')
      clock.advance(HOUR)
      expect((await chain.run(outbound('acme', number, 'marketing'))).verdict).toBe('allow')
      clock.advance(HOUR)
      const denied = await chain.run(outbound('acme', number, 'marketing'))
      expect(denied.reasons.at(-1)?.details).toMatchObject({
        cap: 'US-FL:24h',
        count: 2,
        max: 2,
        citation: 'Fla. Stat. 501.616(6)(b)',
        nextAllowedAt: new Date(now.getTime() + 24 * HOUR).toISOString(),
      })
      // The state cap applies to marketing only; the tenant's own 3 per day still holds.
      expect((await chain.run(outbound('acme', number, 'service'))).verdict).toBe('allow')
      expect((await chain.run(outbound('acme', number, 'service'))).reasons.at(-1)?.details).toMatchObject({
        cap: 'tenant:24h',
      })
    })

    it('names the cap that frees up last when several are full', async () => {
      const number = '+8613922220005'
      const t0 = now.getTime()
      const caps = [
        { id: 'per-hour', max: 2, windowHours: 1 },
        { id: 'per-day', max: 3, windowHours: 24 },
      ]
      const at = (offset: number) => new Date(t0 + offset)
      const tryAt = (offset: number) =>
        cw.policy.attempts.tryRecord({ tenantId: 'acme', number, at: at(offset), caps })
      expect(await tryAt(0)).toMatchObject({ allowed: true, recorded: true })
      expect(await tryAt(10 * 60_000)).toMatchObject({
        allowed: true,
        counts: [
          { cap: 'per-hour', count: 2, max: 2, windowHours: 1 },
          { cap: 'per-day', count: 2, max: 3, windowHours: 24 },
        ],
      })
      // Both in the hour: the hourly cap is full until the first leaves it.
      expect(await tryAt(20 * 60_000)).toMatchObject({
        allowed: false,
        recorded: false,
        cap: { id: 'per-hour' },
        count: 2,
        nextAllowedAt: at(HOUR),
      })
      expect(await tryAt(HOUR)).toMatchObject({ allowed: true })
      // Now the daily cap is full (3) and the hourly one too (2 within the hour): the daily
      // one decides, it frees up later.
      const both = await tryAt(HOUR + 5 * 60_000)
      expect(both).toMatchObject({
        allowed: false,
        cap: { id: 'per-day' },
        count: 3,
        nextAllowedAt: at(24 * HOUR),
      })
      const dry = await cw.policy.attempts.tryRecord({
        tenantId: 'acme',
        number,
        at: at(24 * HOUR),
        caps,
        dryRun: true,
      })
      expect(dry).toMatchObject({ allowed: true, recorded: false })
      expect(dry).not.toHaveProperty('attemptId')
    })

    it('never lets concurrent deciders in one process exceed a cap', async () => {
      const number = '+8613922220006'
      const caps = [{ id: 'race', max: 5, windowHours: 24 }]
      const results = await Promise.all(
        Array.from({ length: 25 }, () =>
          cw.policy.attempts.tryRecord({ tenantId: 'acme', number, at: now, caps }),
        ),
      )
      expect(results.filter((r) => r.allowed)).toHaveLength(5)
      expect(
        results
          .filter((r) => r.allowed)
          .map((r) => r.counts[0]!.count)
          .sort(),
      ).toEqual([1, 2, 3, 4, 5])
      expect(results.filter((r) => !r.allowed).every((r) => !r.allowed && r.count === 5)).toBe(true)
      expect(await cw.policy.attempts.count({ tenantId: 'acme', number, at: now, windowHours: 24 })).toBe(5)
    })

    it('releases an attempt when a later check denies the call', async () => {
      const number = '+8613922220007'
      const chain = createPipeline<OutboundCall>({ clock, eventType: 'outbound' })
        .use(attemptCap({ ledger: cw.policy.attempts }))
        .use(async function later(ctx) {
          ctx.deny('ERR_POLICY_UNAVAILABLE', 'a later check says no')
        })
      expect((await chain.run(outbound('acme', number))).verdict).toBe('deny')
      const failing = createPipeline<OutboundCall>({ clock, eventType: 'outbound' })
        .use(attemptCap({ ledger: cw.policy.attempts }))
        .use(async function broken() {
          throw new Error('down')
        })
      expect((await failing.run(outbound('acme', number))).reasons.at(-1)?.code).toBe(
        'ERR_POLICY_UNAVAILABLE',
      )
      expect(await cw.policy.attempts.count({ tenantId: 'acme', number, at: now, windowHours: 24 })).toBe(0)
    })

    it('prunes attempts older than a given time, per tenant', async () => {
      const number = '+8613922220008'
      const caps = [{ id: 'c', max: 100, windowHours: 744 }]
      for (const days of [40, 35, 1]) {
        await cw.policy.attempts.tryRecord({
          tenantId: 'other',
          number,
          at: new Date(now.getTime() - days * 24 * HOUR),
          caps,
        })
      }
      const pruned = await cw.policy.attempts.prune({ tenantId: 'other', batchSize: 1 })
      expect(pruned.attempts).toBeGreaterThanOrEqual(2)
      expect(await cw.policy.attempts.count({ tenantId: 'other', number, at: now, windowHours: 744 })).toBe(1)
    })

    it('burst guard: 4 calls in a second, the 5th denied until the first leaves the window', async () => {
      const to = (i: number) => `+86139333300${String(i).padStart(2, '0')}`
      for (let i = 0; i < 4; i++) {
        expect((await cw.pipeline.outbound.run(outbound('burst', to(i)))).verdict).toBe('allow')
      }
      // What-if runs spend nothing, and a denied run reports the rate.
      const whatIf = await cw.pipeline.outbound.run(outbound('burst', to(10)), { dryRun: true })
      const denied = await cw.pipeline.outbound.run(outbound('burst', to(11)))
      for (const decision of [whatIf, denied]) {
        expect(decision.reasons.at(-1)).toMatchObject({
          code: 'ERR_POLICY_RATE_LIMITED',
          middleware: 'burstGuard',
          details: { limit: 4, windowMs: 1000, nextAllowedAt: new Date(now.getTime() + 1000).toISOString() },
        })
      }
      expect(denied.nextAllowedAt).toEqual(new Date(now.getTime() + 1000))
      // Rate-limited calls are not attempts.
      expect(
        await cw.policy.attempts.count({ tenantId: 'burst', number: to(11), at: now, windowHours: 1 }),
      ).toBe(0)
      // Other tenants are not affected.
      expect((await cw.pipeline.outbound.run(outbound('calm', to(0)))).verdict).toBe('allow')
      clock.advance(999)
      expect((await cw.pipeline.outbound.run(outbound('burst', to(12)))).verdict).toBe('deny')
      clock.advance(1)
      expect((await cw.pipeline.outbound.run(outbound('burst', to(13)))).verdict).toBe('allow')
    })

    it('burst guard: a call another check denies gives its slot back', async () => {
      const number = '+8613933331000'
      for (let i = 0; i < 3; i++) {
        expect((await cw.pipeline.outbound.run(outbound('calm', number))).verdict).toBe('allow')
      }
      // Capped (4th attempt in a day) after the burst guard took a slot: the slot is returned.
      for (let i = 0; i < 3; i++) {
        expect((await cw.pipeline.outbound.run(outbound('calm', number))).reasons.at(-1)?.code).toBe(
          'ERR_POLICY_ATTEMPT_CAP',
        )
      }
      expect((await cw.pipeline.outbound.run(outbound('calm', '+8613933331001'))).verdict).toBe('allow')
      expect((await cw.pipeline.outbound.run(outbound('calm', '+8613933331002'))).reasons.at(-1)?.code).toBe(
        'ERR_POLICY_RATE_LIMITED',
      )
    })

    it('an announced burst raises the limit for its period only, audited as config.change', async () => {
      const from = new Date(now.getTime() + HOUR)
      const until = new Date(now.getTime() + 2 * HOUR)
      await expect(
        cw.policy.rate.announceBurst({ tenantId: 'burst', maxPerSecond: 10, from, until, by: AGENT }),
      ).rejects.toMatchObject({ code: 'ERR_ROLE_FORBIDDEN' })
      for (const [extra, message] of [
        [{ maxPerSecond: 4 }, 'maxPerSecond'],
        [{ maxPerSecond: 2.5 }, 'maxPerSecond'],
        [{ until: from }, 'until'],
        [{ from: 'soon' }, 'from'],
        [{ from: new Date(now.getTime() - 40 * 24 * HOUR) }, 'until'],
      ] as const) {
        const error = await cw.policy.rate
          .announceBurst(
            Object.assign({ tenantId: 'burst', maxPerSecond: 10, from, until, by: ADMIN }, extra) as never,
          )
          .catch((e: unknown) => e)
        expect(error).toMatchObject({ code: 'ERR_BURST_ANNOUNCEMENT_INVALID' })
        expect((error as Error).message).toContain(`'${message}'`)
      }
      const announced = await cw.policy.rate.announceBurst({
        tenantId: 'burst',
        maxPerSecond: 10,
        from,
        until,
        by: ADMIN,
      })
      expect(await cw.policy.rate.announcements('burst')).toEqual([announced])
      expect(await cw.policy.rate.announcements('calm')).toEqual([])
      const place = async (n: number) => {
        const verdicts = []
        for (let i = 0; i < n; i++) {
          verdicts.push(
            (await cw.pipeline.outbound.run(outbound('burst', `+86139444400${String(i).padStart(2, '0')}`)))
              .verdict,
          )
        }
        return verdicts.filter((v) => v === 'allow').length
      }
      // Before the period: the default 4.
      expect(await place(6)).toBe(4)
      clock.set(from)
      expect(await place(12)).toBe(10)
      clock.set(until)
      clock.advance(5000)
      expect(await place(6)).toBe(4)
      const page = await cw.audit.query({ tenantId: 'burst', by: AUDITOR, action: 'config.change' })
      expect(page.events).toMatchObject([
        {
          actor: { id: 'admin-1', role: 'admin' },
          target: { type: 'burst-announcement', id: announced.id },
          details: { maxPerSecond: 10, from: from.toISOString(), until: until.toISOString() },
        },
      ])
      for (const tenantId of ['acme', 'other', 'burst', 'calm']) {
        expect((await cw.audit.verify({ tenantId })).ok).toBe(true)
      }
    })
  })
}

describe('attempt caps across OS processes on MariaDB', () => {
  const worker = fileURLToPath(new URL('../fixtures/attempt-recorder.ts', import.meta.url))
  const run = promisify(execFile)
  let fresh: Awaited<ReturnType<typeof freshMysqlDatabase>>
  let database: Database

  beforeAll(async () => {
    fresh = await freshMysqlDatabase()
    database = openDatabase(fresh.url, { poolSize: 2 })
    await migrate(database, { referenceSchema: false })
  })

  afterAll(async () => {
    await database?.close()
    await fresh?.drop()
  })

  it('answers dry runs from recent reads, but never allows a real attempt without the database', async () => {
    const secret = randomBytes(32)
    const at = new Date(Date.UTC(2030, 2, 1, 8))
    const caps = [{ id: 'tenant:24h', max: 3, windowHours: 24 }]
    let elapsed = 0
    // Two deciders on one database, as two processes would be, each with its own recent reads.
    const [here, there] = [0, 1].map(
      () =>
        new AttemptLedger({
          db: database.db,
          dialect: database.dialect,
          clock: systemClock,
          secret,
          recentMs: 1000,
          timer: () => elapsed,
        }),
    )
    const request = { tenantId: 'recent', number: '+8613955550001', at, caps }
    for (let i = 0; i < 2; i++) expect((await here!.tryRecord(request)).allowed).toBe(true)
    const before = await there!.tryRecord({ ...request, dryRun: true })
    expect(before).toMatchObject({ allowed: true, counts: [{ count: 3 }] })
    expect((await here!.tryRecord(request)).allowed).toBe(true)
    // Within recentMs the other decider's what-if still sees its earlier read ...
    expect((await there!.tryRecord({ ...request, dryRun: true })).allowed).toBe(true)
    // ... but a real attempt is judged under the lock, from the database.
    const real = await there!.tryRecord(request)
    expect(real).toMatchObject({ allowed: false, count: 3 })
    // A refusal is remembered; what-ifs of this decider now see the full cap at once.
    expect((await there!.tryRecord({ ...request, dryRun: true })).allowed).toBe(false)
    // The decider that recorded sees its own attempts at once; a release is seen at once too.
    expect((await here!.tryRecord({ ...request, dryRun: true })).allowed).toBe(false)
    const other = { ...request, number: '+8613955550002' }
    const recorded = await here!.tryRecord(other)
    expect(recorded.allowed && recorded.attemptId !== undefined).toBe(true)
    expect(await here!.tryRecord({ ...other, dryRun: true })).toMatchObject({ counts: [{ count: 2 }] })
    await here!.release({ tenantId: 'recent', attemptId: (recorded as { attemptId: string }).attemptId })
    expect(await here!.tryRecord({ ...other, dryRun: true })).toMatchObject({ counts: [{ count: 1 }] })
    // Once the read is older than recentMs, a what-if reads again.
    elapsed += 1000
    const fresh = await there!.tryRecord({ ...other, dryRun: true })
    expect(fresh).toMatchObject({ allowed: true, counts: [{ count: 1 }] })
  })

  it('reads the counts of concurrent what-if runs together, each number its own', async () => {
    const secret = randomBytes(32)
    const at = new Date(Date.UTC(2030, 2, 1, 8))
    const caps = [{ id: 'tenant:24h', max: 4, windowHours: 24 }]
    const ledger = () =>
      new AttemptLedger({ db: database.db, dialect: database.dialect, clock: systemClock, secret })
    const writer = ledger()
    const numbers = Array.from({ length: 40 }, (_, i) => `+86139555510${String(i).padStart(2, '0')}`)
    for (const [i, number] of numbers.entries()) {
      for (let k = 0; k < i % 5; k++) {
        await writer.tryRecord({
          tenantId: 'batch',
          number,
          at: new Date(at.getTime() - k * 3_600_000),
          caps,
        })
      }
    }
    // A yesterday's attempt outside every window, and another tenant's attempts, count for nothing.
    await writer.tryRecord({
      tenantId: 'batch',
      number: numbers[1]!,
      at: new Date(at.getTime() - 30 * 3_600_000),
      caps,
    })
    await writer.tryRecord({ tenantId: 'batch-other', number: numbers[0]!, at, caps })
    const reader = ledger()
    const results = await Promise.all(
      numbers.map((number) => reader.tryRecord({ tenantId: 'batch', number, at, caps, dryRun: true })),
    )
    results.forEach((result, i) => {
      if (i % 5 === 4) expect(result).toMatchObject({ allowed: false, count: 4 })
      else expect(result).toMatchObject({ allowed: true, counts: [{ count: (i % 5) + 1 }] })
    })
  })

  it('records exactly `max` attempts when four processes race for one new number', async () => {
    const secret = randomBytes(32)
    const at = Date.UTC(2030, 2, 1, 8)
    const max = 7
    const processes = 4
    const startAt = Date.now() + 6000
    const outputs = await Promise.all(
      Array.from({ length: processes }, () =>
        run(
          process.execPath,
          [
            '--import',
            'tsx',
            worker,
            fresh.url,
            'race',
            '+8613955550000',
            '15',
            '5',
            String(max),
            String(at),
            secret.toString('base64'),
            String(startAt),
          ],
          { timeout: 60_000 },
        ),
      ),
    )
    const elapsed = Date.now() - startAt
    const results = outputs.map(
      (o) => JSON.parse(o.stdout) as { recorded: number; capped: number; counts: number[] },
    )
    expect(results.reduce((n, r) => n + r.recorded, 0)).toBe(max)
    expect(results.reduce((n, r) => n + r.capped, 0)).toBe(processes * 15 - max)
    // Each recorded attempt saw a different count: 1, 2, ..., max.
    expect(results.flatMap((r) => r.counts).sort((a, b) => a - b)).toEqual(
      Array.from({ length: max }, (_, i) => i + 1),
    )
    const ledger = new AttemptLedger({
      db: database.db,
      dialect: database.dialect,
      clock: systemClock,
      secret,
    })
    expect(
      await ledger.count({ tenantId: 'race', number: '+8613955550000', at: new Date(at), windowHours: 24 }),
    ).toBe(max)
    const rows = await database.db
      .selectFrom('cw_call_attempt_heads')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_id', '=', 'race')
      .executeTakeFirstOrThrow()
    expect(Number(rows.n)).toBe(1)
    console.log(
      `attempt race: ${processes} processes x 15 tries, recorded per process ${results.map((r) => r.recorded).join('/')}, ${elapsed} ms after the common start`,
    )
  })
})
