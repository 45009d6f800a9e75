/**
 * The pipeline core's composition rules (koa-compose's checklist, plus ours: denial is
 * terminal, infrastructure errors fail closed, observers never change the outcome).
 */
import { describe, expect, it, vi } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import {
  createPipeline,
  failClosed,
  guard,
  validateCallEvent,
  type Middleware,
  type OutboundCall,
} from '../../src/pipeline/index.js'
import { attemptCap } from '../../src/policy/attempts/attempt-cap-middleware.js'
import type { AttemptDecision } from '../../src/policy/attempts/attempt-ledger.js'

const event = (over: Partial<OutboundCall> = {}): OutboundCall => ({
  type: 'outbound',
  tenantId: 'acme',
  callId: 'c-1',
  callee: '+8613988888888',
  ...over,
})

const step =
  (log: string[], name: string): Middleware<OutboundCall> =>
  async (_ctx, next) => {
    log.push(`${name}:before`)
    await next()
    log.push(`${name}:after`)
  }

describe('createPipeline', () => {
  it('runs middleware in registration order, onion-style, and allows by default', async () => {
    const log: string[] = []
    const pipeline = createPipeline<OutboundCall>()
      .use(step(log, 'a'), { name: 'a' })
      .use(step(log, 'b'), { name: 'b' })
    const decision = await pipeline.run(event())
    expect(log).toEqual(['a:before', 'b:before', 'b:after', 'a:after'])
    expect(decision).toMatchObject({ verdict: 'allow', reasons: [], trace: ['a', 'b'] })
  })

  it('use() returns a new pipeline and never changes the original', async () => {
    const log: string[] = []
    const base = createPipeline<OutboundCall>().use(step(log, 'a'), { name: 'a' })
    const extended = base.use(step(log, 'b'), { name: 'b' })
    expect(base.middlewareNames).toEqual(['a'])
    expect(extended.middlewareNames).toEqual(['a', 'b'])
    await base.run(event())
    expect(log).toEqual(['a:before', 'a:after'])
  })

  it('a denial is terminal: downstream middleware does not run', async () => {
    const downstream = vi.fn(async (_ctx, next: () => Promise<void>) => next())
    const decision = await createPipeline<OutboundCall>()
      .use(async function blacklist(ctx) {
        ctx.deny('ERR_TENANT_INACTIVE', 'no', { list: 'blacklist' })
      })
      .use(downstream)
      .run(event())
    expect(downstream).not.toHaveBeenCalled()
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons).toEqual([
      { code: 'ERR_TENANT_INACTIVE', message: 'no', middleware: 'blacklist', details: { list: 'blacklist' } },
    ])
  })

  it('calling next() after deny() is misuse', async () => {
    const pipeline = createPipeline<OutboundCall>().use(async function sloppy(ctx, next) {
      ctx.deny('ERR_EVENT_INVALID', 'bad')
      await next()
    })
    await expect(pipeline.run(event())).rejects.toMatchObject({
      code: 'ERR_PIPELINE_MISUSE',
      middleware: 'sloppy',
    })
  })

  it('next() called twice rejects the run', async () => {
    const pipeline = createPipeline<OutboundCall>()
      .use(async function twice(_ctx, next) {
        await next()
        await next()
      })
      .use(async (_ctx, next) => next())
    await expect(pipeline.run(event())).rejects.toMatchObject({
      code: 'ERR_PIPELINE_MISUSE',
      middleware: 'twice',
    })
  })

  it('next() called twice without awaiting is still detected', async () => {
    const pipeline = createPipeline<OutboundCall>().use(async function twice(_ctx, next) {
      await next()
      void next()
    })
    await expect(pipeline.run(event())).rejects.toMatchObject({ code: 'ERR_PIPELINE_MISUSE' })
  })

  it('detects a middleware that does not await next() (disconnected promise chain)', async () => {
    const pipeline = createPipeline<OutboundCall>()
      .use(async function forgetful(_ctx, next) {
        void next()
      })
      .use(async function slow(_ctx, next) {
        await new Promise((resolve) => setTimeout(resolve, 5))
        await next()
      })
    await expect(pipeline.run(event())).rejects.toMatchObject({
      code: 'ERR_PIPELINE_MISUSE',
      middleware: 'forgetful',
    })
  })

  it('a middleware that neither calls next() nor denies is misuse (the chain fails closed)', async () => {
    const seen: string[] = []
    const later = vi.fn()
    const pipeline = createPipeline<OutboundCall>()
      .use(async function shortCircuit() {})
      .use(later)
      .observe((d) => {
        seen.push(`${d.verdict}:${d.reasons[0]?.code}`)
      })
    await expect(pipeline.run(event())).rejects.toMatchObject({
      code: 'ERR_PIPELINE_MISUSE',
      middleware: 'shortCircuit',
    })
    expect(later).not.toHaveBeenCalled()
    // Observers (audit) still see the run, as a denial.
    expect(seen).toEqual(['deny:ERR_PIPELINE_MISUSE'])
  })

  it('an empty pipeline allows', async () => {
    expect((await createPipeline<OutboundCall>().run(event())).verdict).toBe('allow')
  })

  it('an infrastructure error fails closed with ERR_POLICY_UNAVAILABLE by default', async () => {
    const after = vi.fn()
    const decision = await createPipeline<OutboundCall>()
      .use(async (_ctx, next) => {
        await next()
        after()
      })
      .use(async function dncLookup() {
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1 +8613988888888'), {
          code: 'ECONNREFUSED',
        })
      })
      .run(event())
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]).toMatchObject({
      code: 'ERR_POLICY_UNAVAILABLE',
      details: { error: 'ECONNREFUSED' },
    })
    expect(decision.failure?.middleware).toBe('dncLookup')
    // The dependency's message (which may hold a number) is not copied into the reasons.
    expect(JSON.stringify(decision.reasons)).not.toContain('8613988888888')
    expect(after).not.toHaveBeenCalled()
  })

  it('uses the configured fail mode', async () => {
    const decision = await createPipeline<OutboundCall>({ failMode: failClosed('ERR_TENANT_INACTIVE') })
      .use(async () => {
        throw new Error('boom')
      })
      .run(event())
    expect(decision.reasons[0]?.code).toBe('ERR_TENANT_INACTIVE')
  })

  it('observers see every decision but cannot change it; their errors are reported', async () => {
    const seen: string[] = []
    const errors: unknown[] = []
    const pipeline = createPipeline<OutboundCall>({ onObserverError: (e) => errors.push(e) })
      .use(async (ctx, next) => (ctx.event.callee === 'deny' ? ctx.deny('ERR_EVENT_INVALID', 'x') : next()))
      .observe((d) => {
        seen.push(d.verdict)
        ;(d as { verdict: string }).verdict = 'allow'
      })
      .observe(() => {
        throw new Error('audit sink down')
      })
    const decision = await pipeline.run(event({ callee: 'deny' }))
    expect(decision.verdict).toBe('deny')
    expect(seen).toEqual(['deny'])
    // The decision is frozen: the first observer's write throws and is reported too.
    expect(errors).toHaveLength(2)
    expect(errors[0]).toBeInstanceOf(TypeError)
  })

  it('notes explain an allow; reasons are attributed to their middleware', async () => {
    const decision = await createPipeline<OutboundCall>()
      .use(async function consent(ctx, next) {
        ctx.note('CONSENT_FOUND', 'callback requested', { channel: 'ivr' })
        await next()
      })
      .run(event())
    expect(decision.verdict).toBe('allow')
    expect(decision.reasons).toEqual([
      {
        code: 'CONSENT_FOUND',
        message: 'callback requested',
        middleware: 'consent',
        details: { channel: 'ivr' },
      },
    ])
  })

  it('gives middleware the clock, the tenant and shared state', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    let seen: unknown
    await createPipeline<OutboundCall>({ clock })
      .use(async (ctx, next) => {
        ctx.state.set('e164', ctx.event.callee)
        await next()
      })
      .use(async (ctx, next) => {
        seen = [ctx.tenantId, ctx.clock.now().toISOString(), ctx.state.get('e164')]
        await next()
      })
      .run(event())
    expect(seen).toEqual(['acme', '2026-01-01T00:00:00.000Z', '+8613988888888'])
  })

  it('stops between middleware when the signal aborts', async () => {
    const controller = new AbortController()
    const second = vi.fn()
    const decision = await createPipeline<OutboundCall>()
      .use(async (_ctx, next) => {
        controller.abort()
        await next()
      })
      .use(second)
      .run(event(), { signal: controller.signal })
    expect(second).not.toHaveBeenCalled()
    expect(decision.verdict).toBe('deny')
  })

  it('rejects non-function middleware and non-object events with TypeError', async () => {
    expect(() => createPipeline<OutboundCall>().use('x' as never)).toThrow(TypeError)
    await expect(createPipeline<OutboundCall>().run(null as never)).rejects.toThrow(TypeError)
  })
})

describe('decision time, what-if runs and event defaults', () => {
  it("judges at the event's `at` when given, else at the clock's time", async () => {
    const clock = new ManualClock(new Date('2026-11-21T10:00:00Z'))
    const seen: Date[] = []
    const pipeline = createPipeline<OutboundCall>({ clock }).use(async (ctx, next) => {
      seen.push(ctx.at)
      await next()
    })
    await pipeline.run(event())
    await pipeline.run(event({ at: '2026-12-24T20:30:00-05:00' }))
    await pipeline.run(event({ at: new Date('2027-01-01T00:00:00Z') }))
    expect(seen.map((d) => d.toISOString())).toEqual([
      '2026-11-21T10:00:00.000Z',
      '2026-12-25T01:30:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ])
  })

  it('tells middleware whether the run is a what-if', async () => {
    const seen: boolean[] = []
    const pipeline = createPipeline<OutboundCall>().use(async (ctx, next) => {
      seen.push(ctx.dryRun)
      await next()
    })
    await pipeline.run(event())
    await pipeline.run(event(), { dryRun: true })
    expect(seen).toEqual([false, true])
  })

  it('fills in type and callId for a pipeline with an eventType, without touching the input', async () => {
    const pipeline = createPipeline<OutboundCall>({ eventType: 'outbound' }).use(validateCallEvent())
    const input = { tenantId: 'acme', callee: '+14155550123', purpose: 'service' } as const
    const decision = await pipeline.run(input)
    expect(decision.verdict).toBe('allow')
    expect(decision.event).toMatchObject({ type: 'outbound', tenantId: 'acme', callee: '+14155550123' })
    expect(decision.event.callId).toMatch(/^[0-9a-f-]{36}$/)
    expect(input).not.toHaveProperty('callId')
    const given = await pipeline.run({ ...input, callId: 'c-9' })
    expect(given.event.callId).toBe('c-9')
  })

  it('judges one snapshot of the event, read once, and returns that snapshot frozen', async () => {
    // A getter answering a harmless number to the checks and another to the dialler, or a
    // caller changing its object after the decision, must not change what was judged.
    const judged: string[] = []
    const pipeline = createPipeline<OutboundCall>({ eventType: 'outbound' }).use(
      guard((ctx) => {
        judged.push(ctx.event.callee, ctx.event.callee)
        if (ctx.event.callee === '+8613912345678') ctx.deny('ERR_POLICY_BLACKLISTED', 'listed')
      }),
    )
    let reads = 0
    const input = { type: 'outbound', tenantId: 'acme', callId: 'c-1' } as Record<string, unknown>
    Object.defineProperty(input, 'callee', {
      enumerable: true,
      get: () => (++reads === 1 ? '+8613912345678' : '+8613700001111'),
    })
    const decision = await pipeline.run(input as unknown as OutboundCall)
    expect(reads).toBe(1)
    expect(judged).toEqual(['+8613912345678', '+8613912345678'])
    expect(decision.verdict).toBe('deny')
    expect(decision.event.callee).toBe('+8613912345678')

    const plain = event({ callee: '+8613700001111' })
    const allowed = await pipeline.run(plain)
    expect(allowed.verdict).toBe('allow')
    plain.callee = '+8613912345678'
    expect(allowed.event.callee).toBe('+8613700001111')
    expect(Object.isFrozen(allowed.event)).toBe(true)
    expect(allowed.event).not.toBe(plain)
  })

  it("exposes the denying reason's next allowed time on the decision", async () => {
    const pipeline = createPipeline<OutboundCall>().use(async (ctx) => {
      ctx.deny('ERR_POLICY_OUTSIDE_CALLING_HOURS', 'too late', { nextAllowedAt: '2026-11-22T13:00:00.000Z' })
    })
    const decision = await pipeline.run(event())
    expect(decision.nextAllowedAt).toEqual(new Date('2026-11-22T13:00:00.000Z'))
    const plain = await createPipeline<OutboundCall>()
      .use(async (ctx) => ctx.deny('ERR_EVENT_INVALID', 'x'))
      .run(event())
    expect(plain).not.toHaveProperty('nextAllowedAt')
  })
})

describe('guards', () => {
  it('run in order between full middleware, and a denial stops the chain', async () => {
    const log: string[] = []
    const pipeline = createPipeline<OutboundCall>()
      .use(
        guard<OutboundCall>(function first() {
          log.push('first')
        }),
      )
      .use(step(log, 'wrap'), { name: 'wrap' })
      .use(
        guard<OutboundCall>(async function later() {
          await Promise.resolve()
          log.push('later')
        }),
      )
      .use(
        guard<OutboundCall>(function denies(ctx) {
          ctx.deny('ERR_POLICY_DNC', 'listed', { list: 'x' })
        }),
      )
      .use(
        guard<OutboundCall>(function never() {
          log.push('never')
        }),
      )
    const decision = await pipeline.run(event())
    expect(log).toEqual(['first', 'wrap:before', 'later', 'wrap:after'])
    expect(decision.verdict).toBe('deny')
    expect(decision.trace).toEqual(['first', 'wrap', 'later', 'denies'])
    expect(decision.reasons).toEqual([
      { code: 'ERR_POLICY_DNC', message: 'listed', middleware: 'denies', details: { list: 'x' } },
    ])
  })

  it('behave as ordinary middleware when called directly', async () => {
    const check = guard<OutboundCall>(function check(ctx) {
      if (ctx.event.callee === '110') ctx.deny('ERR_POLICY_NUMBER_NOT_ALLOWED', 'emergency')
    })
    expect(check.name).toBe('check')
    const wrapped = createPipeline<OutboundCall>().use(async (ctx, next) => check(ctx, next), {
      name: 'outer',
    })
    expect((await wrapped.run(event())).verdict).toBe('allow')
    expect((await wrapped.run(event({ callee: '110' }))).verdict).toBe('deny')
  })

  it('a guard that throws (or rejects) fails closed and is named', async () => {
    for (const failing of [
      guard<OutboundCall>(function broken() {
        throw new Error('boom')
      }),
      guard<OutboundCall>(function broken() {
        return Promise.reject(new Error('boom'))
      }),
    ]) {
      const decision = await createPipeline<OutboundCall>().use(failing).run(event())
      expect(decision.verdict).toBe('deny')
      expect(decision.reasons[0]).toMatchObject({ code: 'ERR_POLICY_UNAVAILABLE', middleware: 'broken' })
      expect(decision.failure?.middleware).toBe('broken')
    }
  })

  it('rejects a non-function', () => {
    expect(() => guard(42 as never)).toThrow(TypeError)
  })
})

describe('onDenied', () => {
  const broken = guard<OutboundCall>(function broken() {
    throw new Error('boom')
  })
  const spends = (log: string[], name: string) =>
    guard<OutboundCall>(function spend(ctx) {
      log.push(`spend ${name}`)
      ctx.onDenied(() => {
        log.push(`undo ${name}`)
      })
    })

  it('undoes, last first, what checks spent when a later check denies', async () => {
    const log: string[] = []
    const decision = await createPipeline<OutboundCall>()
      .use(spends(log, 'a'), { name: 'a' })
      .use(spends(log, 'b'), { name: 'b' })
      .use(
        guard<OutboundCall>(function denies(ctx) {
          ctx.deny('ERR_POLICY_ATTEMPT_CAP', 'full')
        }),
      )
      .observe(() => {
        log.push('observed')
      })
      .run(event())
    expect(decision.verdict).toBe('deny')
    expect(log).toEqual(['spend a', 'spend b', 'undo b', 'undo a', 'observed'])
  })

  it('keeps what was spent when the call is allowed', async () => {
    const log: string[] = []
    const decision = await createPipeline<OutboundCall>().use(spends(log, 'a')).run(event())
    expect(decision.verdict).toBe('allow')
    expect(log).toEqual(['spend a'])
  })

  it('undoes when a later middleware fails, and reports an undo that fails without changing the decision', async () => {
    const log: string[] = []
    const reported: unknown[] = []
    const decision = await createPipeline<OutboundCall>({ onObserverError: (error) => reported.push(error) })
      .use(
        guard<OutboundCall>(function spendsBadly(ctx) {
          ctx.onDenied(() => {
            throw new Error('undo failed')
          })
        }),
      )
      .use(spends(log, 'b'))
      .use(broken)
      .run(event())
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]?.code).toBe('ERR_POLICY_UNAVAILABLE')
    expect(log).toEqual(['spend b', 'undo b'])
    expect(reported).toHaveLength(1)
  })

  it('runs at once an undo registered by a check that was still working when the run ended', async () => {
    const log: string[] = []
    let registered!: () => void
    const late = new Promise<void>((resolve) => (registered = resolve))
    const decision = await createPipeline<OutboundCall>()
      .use(async function impatient(_ctx, next) {
        // Gives up waiting for the rest of the chain: the run fails closed.
        await Promise.race([
          next(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5)),
        ])
      })
      .use(
        guard<OutboundCall>(async function slowSpender(ctx) {
          await new Promise((resolve) => setTimeout(resolve, 30))
          log.push('spent')
          ctx.onDenied(() => {
            log.push('undone')
            registered()
          })
        }),
      )
      .run(event())
    expect(decision.verdict).toBe('deny')
    await late
    expect(log).toEqual(['spent', 'undone'])
  })

  it('denies, and undoes, when a custom fail mode itself throws', async () => {
    const log: string[] = []
    const decision = await createPipeline<OutboundCall>({
      failMode: () => {
        throw new Error('fail mode broken')
      },
    })
      .use(spends(log, 'a'))
      .use(broken)
      .run(event())
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]?.code).toBe('ERR_POLICY_UNAVAILABLE')
    expect(log).toEqual(['spend a', 'undo a'])
  })

  it('undoes when the chain is misused', async () => {
    const log: string[] = []
    const run = createPipeline<OutboundCall>()
      .use(spends(log, 'a'))
      .use(async () => undefined, { name: 'stops' })
      .run(event())
    await expect(run).rejects.toMatchObject({ code: 'ERR_PIPELINE_MISUSE' })
    expect(log).toEqual(['spend a', 'undo a'])
  })
})

describe('validateCallEvent', () => {
  const run = (e: unknown) =>
    createPipeline<OutboundCall>()
      .use(validateCallEvent())
      .run(e as OutboundCall)

  it('allows a well-formed event', async () => {
    expect((await run(event())).verdict).toBe('allow')
    expect((await run(event({ callee: '', calleeUid: 'u-1' }))).verdict).toBe('allow')
  })

  it.each([
    [{ type: 'fax' }, 'type'],
    [{ tenantId: 'ACME!' }, 'tenantId'],
    [{ callId: '' }, 'callId'],
    [{ callee: '', calleeUid: undefined }, 'callee'],
    [{ purpose: 'spam' }, 'purpose'],
    [{ at: '2026-11-21 10:00' }, 'at'],
    [{ at: '2026-11-21T10:00:00' }, 'at'],
    [{ at: new Date(Number.NaN) }, 'at'],
    [{ at: '2026-02-30T10:00:00Z' }, 'at'],
    [{ at: '2027-06-31T10:00:00+08:00' }, 'at'],
    [{ at: Number.POSITIVE_INFINITY }, 'at'],
  ])('denies %o naming the field', async (over, field) => {
    const decision = await run({ ...event(), ...over })
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]).toMatchObject({ code: 'ERR_EVENT_INVALID', details: { field } })
  })
})

describe('a chain accepts only its own event type', () => {
  const inboundLike = {
    type: 'inbound',
    tenantId: 'acme',
    callId: 'c-1',
    caller: '+8613900000000',
    callee: '+8613988888888',
  }

  it('a pipeline with an eventType denies other types before any middleware runs', async () => {
    const ran = vi.fn()
    const pipeline = createPipeline<OutboundCall>({ eventType: 'outbound' }).use(guard(ran))
    const decision = await pipeline.run(inboundLike as never)
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons).toEqual([
      expect.objectContaining({ code: 'ERR_EVENT_INVALID', details: { field: 'type' } }),
    ])
    expect(ran).not.toHaveBeenCalled()
    expect((await pipeline.run(event())).verdict).toBe('allow')
  })

  it('validateCallEvent(type) denies other types in a pipeline without one', async () => {
    const pipeline = createPipeline<OutboundCall>().use(validateCallEvent('outbound'))
    expect((await pipeline.run(inboundLike as never)).reasons[0]).toMatchObject({
      code: 'ERR_EVENT_INVALID',
      details: { field: 'type' },
    })
    expect((await pipeline.run(event())).verdict).toBe('allow')
    expect(() => validateCallEvent('fax' as never)).toThrow(TypeError)
  })
})

describe('decision deadline', () => {
  const never = guard<OutboundCall>(function waitsForever() {
    return new Promise<void>(() => undefined)
  })

  it('denies a run still waiting at the deadline with ERR_POLICY_UNAVAILABLE, reason deadline', async () => {
    const after = vi.fn()
    const decision = await createPipeline<OutboundCall>({ deadlineMs: 10 })
      .use(never)
      .use(guard(after))
      .run(event())
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        code: 'ERR_POLICY_UNAVAILABLE',
        middleware: 'waitsForever',
        details: { reason: 'deadline', deadlineMs: 10, middleware: 'waitsForever' },
      }),
    ])
    expect(after).not.toHaveBeenCalled()
  })

  it('gives back what a late check spends and ignores what it says', async () => {
    let finish: (() => void) | undefined
    const undone = vi.fn()
    const late = guard<OutboundCall>(function recordsLate(ctx) {
      return new Promise<void>((resolve) => {
        finish = () => {
          // What a slow attempt cap does once its write commits after the run was decided.
          ctx.onDenied(undone)
          ctx.note('LATE', 'said too late')
          ctx.deny('ERR_POLICY_ATTEMPT_CAP', 'said too late')
          resolve()
        }
      })
    })
    const after = vi.fn()
    const decision = await createPipeline<OutboundCall>({ deadlineMs: 10 })
      .use(late)
      .use(guard(after))
      .run(event())
    expect(decision.reasons.map((r) => r.code)).toEqual(['ERR_POLICY_UNAVAILABLE'])
    finish!()
    await new Promise((resolve) => setImmediate(resolve))
    expect(undone).toHaveBeenCalledTimes(1)
    expect(decision.reasons.map((r) => r.code)).toEqual(['ERR_POLICY_UNAVAILABLE'])
    expect(after).not.toHaveBeenCalled()
  })

  it('releases an attempt the attempt cap records after the deadline', async () => {
    let record: ((decision: AttemptDecision) => void) | undefined
    const release = vi.fn(async () => true)
    const ledger = {
      tryRecord: () => new Promise<AttemptDecision>((resolve) => (record = resolve)),
      release,
    }
    const decision = await createPipeline<OutboundCall>({ deadlineMs: 10 })
      .use(attemptCap({ ledger, caps: () => [{ id: 'day', max: 3, windowHours: 24 }] }))
      .run(event({ at: '2026-11-23T10:00:00Z' }))
    expect(decision.reasons[0]?.details).toMatchObject({ reason: 'deadline' })
    record!({ allowed: true, recorded: true, attemptId: 'ca-late', counts: [] })
    await vi.waitFor(() => expect(release).toHaveBeenCalledWith({ tenantId: 'acme', attemptId: 'ca-late' }))
  })

  it('leaves runs that finish in time, and runs that never wait, as they are', async () => {
    const quick = guard<OutboundCall>(async function quick() {})
    expect((await createPipeline<OutboundCall>({ deadlineMs: 1000 }).use(quick).run(event())).verdict).toBe(
      'allow',
    )
    expect((await createPipeline<OutboundCall>({ deadlineMs: 1 }).run(event())).verdict).toBe('allow')
  })

  it.each([0, -1, 1.5, Number.NaN, '100', 2 ** 31])('refuses deadlineMs %o', (deadlineMs) => {
    expect(() => createPipeline<OutboundCall>({ deadlineMs: deadlineMs as number })).toThrow(RangeError)
  })
})
