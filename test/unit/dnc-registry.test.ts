import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { getCountryCallingCode, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max'
import examples from 'libphonenumber-js/examples.mobile.json' with { type: 'json' }
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEventInput } from '../../src/audit/audit-event.js'
import { ManualClock } from '../../src/clock.js'
import { NumberInvalid, parseNumber } from '../../src/masking/phone-number.js'
import type { OutboundCall } from '../../src/pipeline/call-events.js'
import { createPipeline } from '../../src/pipeline/pipeline.js'
import { dnc } from '../../src/policy/dnc/dnc-middleware.js'
import { DncNumberReader, resultProblem } from '../../src/policy/dnc/dnc-number-reader.js'
import { createDncPolicy } from '../../src/policy/dnc/dnc-policy.js'
import { DncListInvalid, DncRegistry } from '../../src/policy/dnc/dnc-registry.js'
import { e164Value } from '../../src/policy/dnc/e164-set.js'
import { numberChecks } from '../../src/policy/number-checks/number-checks-middleware.js'

function setup(options: { failAudit?: boolean } = {}) {
  const events: AuditEventInput[] = []
  const clock = new ManualClock(new Date('2030-03-01T08:00:00Z'))
  const registry = new DncRegistry({
    clock,
    audit: {
      append: async (event) => {
        if (options.failAudit === true) throw new Error('audit down')
        events.push(event)
      },
    },
  })
  return { registry, events, clock }
}

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

describe('DncRegistry.load: lines', () => {
  it('reads E.164, 00 and national numbers; reports bad lines by number and problem, never content', async () => {
    const { registry } = setup()
    const report = await registry.load({
      list: 'cn-national',
      region: 'CN',
      source: [
        '+8613988888888',
        '13912345678',
        '008613700000000',
        '',
        '020 1234 5678',
        'call me maybe',
        '+86139',
        '  +8613911112222  \r',
        '13912345678',
      ],
    })
    expect(report).toMatchObject({
      list: 'cn-national',
      version: 1,
      mode: 'replace',
      accepted: 6,
      rejected: 2,
      size: 5,
      problems: [
        { line: 6, problem: 'NOT_A_NUMBER' },
        { line: 7, problem: 'TOO_SHORT' },
      ],
    })
    expect(report.loadedAt.toISOString()).toBe('2030-03-01T08:00:00.000Z')
    expect(JSON.stringify(report)).not.toContain('86139')
    for (const n of ['+8613988888888', '+8613912345678', '+8613700000000', '+862012345678', '+8613911112222'])
      expect(registry.match('acme', n)).toEqual({ list: 'cn-national', scope: 'global' })
    expect(registry.match('acme', '+8613900000000')).toBeUndefined()
  })

  it('refuses national numbers when the list has no region', async () => {
    const { registry } = setup()
    const report = await registry.load({
      list: 'intl',
      source: ['+12015550123', '2015550124', '0012015550125'],
    })
    expect(report).toMatchObject({
      accepted: 2,
      rejected: 1,
      problems: [{ line: 2, problem: 'INVALID_COUNTRY' }],
    })
  })

  it('counts every bad line but lists only the first maxProblems', async () => {
    const { registry } = setup()
    const source = ['+12015550123', ...Array.from({ length: 50 }, () => 'x')]
    const report = await registry.load({ list: 'l', source, maxProblems: 3 })
    expect(report.rejected).toBe(50)
    expect(report.problems.map((p) => p.line)).toEqual([2, 3, 4])
  })

  it('reads byte chunks that split lines anywhere, a BOM, CRLF, a last line without a break', async () => {
    const text = '\ufeff+12015550123\r\n+12015550124\n\n+4420 7946 0000\r\n+12015550125'
    for (const size of [1, 2, 3, 7, 1000]) {
      const { registry } = setup()
      const report = await registry.load({ list: 'l', source: chunks(Buffer.from(text), size) })
      expect(report).toMatchObject({ accepted: 4, rejected: 0, size: 4 })
      expect(registry.match('t', '+442079460000')).toBeDefined()
      expect(registry.match('t', '+12015550125')).toBeDefined()
    }
  })

  it('refuses an overlong line without reading it whole', async () => {
    const { registry } = setup()
    const long = Buffer.alloc(70_000, 0x35)
    const source = Buffer.concat([Buffer.from('+12015550123\n'), long, Buffer.from('\n+12015550124\n')])
    const report = await registry.load({ list: 'l', source: chunks(source, 4096) })
    expect(report).toMatchObject({
      accepted: 2,
      rejected: 1,
      problems: [{ line: 2, problem: 'LINE_TOO_LONG' }],
    })
  })

  describe('from a file', () => {
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-dnc-'))
    })
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('loads a file path', async () => {
      const file = join(dir, 'us.txt')
      await writeFile(
        file,
        Array.from({ length: 5000 }, (_, i) => `+1201555${String(i).padStart(4, '0')}`).join('\n'),
      )
      const { registry } = setup()
      const report = await registry.load({ list: 'us', source: file, region: 'US' })
      expect(report).toMatchObject({ accepted: 5000, size: 5000 })
      expect(report.parsedInFull).toBeLessThan(50)
      expect(registry.match('t', '+12015554999')).toBeDefined()
    })

    it('fails with ERR_DNC_LIST_INVALID when the file cannot be read', async () => {
      const { registry, events } = setup()
      await expect(registry.load({ list: 'us', source: join(dir, 'missing.txt') })).rejects.toMatchObject({
        code: 'ERR_DNC_LIST_INVALID',
      })
      expect(events).toMatchObject([{ outcome: 'failure', reason: 'ERR_DNC_LIST_INVALID' }])
      expect(registry.lists()).toEqual([])
    })
  })
})

describe('DncRegistry.load: CSV', () => {
  const csv = [
    'id,name,phone,note',
    '1,Ann,+12015550123,',
    '2,"Smith, Bob","+1 201 555 0124","said ""stop"""',
    '3,"Multi',
    'line",+12015550125,x',
    '4,Dan',
    '5,Eve,nope,',
    '',
  ].join('\n')

  it('reads the named column, quoted fields and records over several lines', async () => {
    const { registry } = setup()
    const report = await registry.load({
      list: 'crm',
      tenantId: 'acme',
      source: Buffer.from(csv),
      format: 'csv',
      column: 'Phone',
    })
    expect(report).toMatchObject({
      accepted: 3,
      rejected: 2,
      problems: [
        { line: 6, problem: 'MISSING_FIELD' },
        { line: 7, problem: 'NOT_A_NUMBER' },
      ],
    })
    for (const n of ['+12015550123', '+12015550124', '+12015550125'])
      expect(registry.match('acme', n)).toBeDefined()
  })

  it('takes the column by index, from 0 (and the first column by default)', async () => {
    const { registry } = setup()
    await registry.load({ list: 'a', source: chunks(Buffer.from(csv), 5), format: 'csv', column: 2 })
    expect(registry.match('t', '+12015550125')).toBeDefined()
    const first = await registry.load({ list: 'b', source: ['phone', '+12015550199'], format: 'csv' })
    expect(first.accepted).toBe(1)
  })

  it('fails when the column does not exist, or a quote is never closed', async () => {
    const { registry } = setup()
    await expect(
      registry.load({ list: 'a', source: Buffer.from(csv), format: 'csv', column: 'mobile' }),
    ).rejects.toMatchObject({
      code: 'ERR_DNC_LIST_INVALID',
    })
    await expect(
      registry.load({ list: 'a', source: Buffer.from(csv), format: 'csv', column: 9 }),
    ).rejects.toMatchObject({
      code: 'ERR_DNC_LIST_INVALID',
    })
    const report = await registry.load({
      list: 'a',
      source: ['phone', '+12015550123', '"+12015550124'],
      format: 'csv',
    })
    expect(report.problems).toEqual([{ line: 3, problem: 'UNCLOSED_QUOTE' }])
  })
})

describe('DncRegistry.load: requests, strict mode, failures', () => {
  it('refuses bad requests with a code, and wrong types with TypeError', async () => {
    const { registry } = setup()
    const bad = [
      { list: 'no spaces', source: [] },
      { list: 'l', source: [], format: 'xlsx' },
      { list: 'l', source: [], mode: 'merge' },
      { list: 'l', source: [], region: 'XX' },
      { list: 'l', source: [], region: 'cn' },
      { list: 'l', source: [], column: 'phone' },
    ]
    for (const request of bad)
      await expect(registry.load(request as never)).rejects.toMatchObject({ code: 'ERR_DNC_LIST_INVALID' })
    await expect(registry.load({ list: 'l', tenantId: 'Bad Tenant', source: [] })).rejects.toMatchObject({
      code: 'ERR_TENANT_INVALID',
    })
    await expect(registry.load({ list: 'l', source: 42 as never })).rejects.toThrow(TypeError)
    expect(() => registry.match('t', '13988888888')).toThrow(TypeError)
  })

  it('fails a strict load at the first bad line; the version in force stays', async () => {
    const { registry, events } = setup()
    await registry.load({ list: 'l', source: ['+12015550123'] })
    const error = await registry
      .load({ list: 'l', source: ['+12015550124', '+1201555012', '+12015550125'], strict: true })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DncListInvalid)
    expect(error).toMatchObject({ code: 'ERR_DNC_LIST_INVALID', line: 2, problem: 'TOO_SHORT' })
    expect((error as Error).message).not.toContain('201555012')
    expect(registry.match('t', '+12015550123')).toBeDefined()
    expect(registry.match('t', '+12015550124')).toBeUndefined()
    expect(registry.lists()[0]).toMatchObject({ version: 1, size: 1 })
    expect(events.map((e) => e.outcome)).toEqual(['success', 'failure'])
    expect(events[1]!.details).toMatchObject({ kind: 'dnc.load', list: 'l', version: 1 })
  })

  it('refuses a replace that would empty the list unless allowed', async () => {
    const { registry } = setup()
    await registry.load({ list: 'l', source: ['+12015550123'] })
    await expect(registry.load({ list: 'l', source: ['junk'] })).rejects.toMatchObject({
      code: 'ERR_DNC_LIST_INVALID',
    })
    expect(registry.match('t', '+12015550123')).toBeDefined()
    const report = await registry.load({ list: 'l', source: [], allowEmpty: true })
    expect(report).toMatchObject({ size: 0, version: 2 })
    expect(registry.match('t', '+12015550123')).toBeUndefined()
  })

  it('keeps the version in force when an aborted load stops, or the audit trail refuses the event', async () => {
    const { registry } = setup()
    await registry.load({ list: 'l', source: ['+12015550123'] })
    const controller = new AbortController()
    controller.abort()
    await expect(
      registry.load({ list: 'l', source: ['+12015550124'], signal: controller.signal }),
    ).rejects.toThrow()
    expect(registry.match('t', '+12015550123')).toBeDefined()

    const down = setup({ failAudit: true })
    await expect(down.registry.load({ list: 'l', source: ['+12015550124'] })).rejects.toThrow('audit down')
    expect(down.registry.lists()).toEqual([])
  })
})

describe('DncRegistry: change files, versions, drop', () => {
  it('adds and removes incrementally; versions count up; loadedAt comes from the clock', async () => {
    const { registry, clock, events } = setup()
    await registry.load({ list: 'us', source: ['+12015550123', '+12015550124'], region: 'US' })
    clock.advance(60_000)
    const added = await registry.load({
      list: 'us',
      source: ['2015550125', '+12015550123'],
      region: 'US',
      mode: 'add',
    })
    expect(added).toMatchObject({ version: 2, mode: 'add', accepted: 2, size: 3 })
    expect(added.loadedAt.toISOString()).toBe('2030-03-01T08:01:00.000Z')
    const removed = await registry.load({
      list: 'us',
      source: ['+12015550123', '+19999999999'],
      mode: 'remove',
    })
    expect(removed).toMatchObject({ version: 3, size: 2 })
    expect(registry.match('t', '+12015550123')).toBeUndefined()
    expect(registry.match('t', '+12015550125')).toBeDefined()
    expect(registry.lists()[0]).toMatchObject({ version: 3, size: 2, overlay: { additions: 1, removals: 1 } })
    expect(events.map((e) => e.details?.mode)).toEqual(['replace', 'add', 'remove'])
    for (const e of events) {
      expect(e).toMatchObject({
        action: 'config.change',
        tenantId: 'system',
        target: { type: 'dnc-list', id: 'us' },
      })
      expect(JSON.stringify(e)).not.toMatch(/201555|999999/)
    }
  })

  it("refuses to remove from a list that is not loaded; 'add' creates one", async () => {
    const { registry } = setup()
    await expect(
      registry.load({ list: 'x', source: ['+12015550123'], mode: 'remove' }),
    ).rejects.toMatchObject({
      code: 'ERR_DNC_LIST_INVALID',
    })
    expect(await registry.load({ list: 'x', source: ['+12015550123'], mode: 'add' })).toMatchObject({
      version: 1,
      size: 1,
    })
  })

  it('runs loads of one list one after another', async () => {
    const { registry } = setup()
    const base = Array.from({ length: 3000 }, (_, i) => `+1201555${String(i).padStart(4, '0')}`)
    const [a, b, c] = await Promise.all([
      registry.load({ list: 'l', source: base }),
      registry.load({ list: 'l', source: ['+13125550000'], mode: 'add' }),
      registry.load({ list: 'l', source: ['+12015550000'], mode: 'remove' }),
    ])
    expect([a.version, b.version, c.version]).toEqual([1, 2, 3])
    expect(c.size).toBe(3000)
    expect(registry.match('t', '+13125550000')).toBeDefined()
    expect(registry.match('t', '+12015550000')).toBeUndefined()
  })

  it('drops a list; versions go on counting after a reload', async () => {
    const { registry, events } = setup()
    await registry.load({ list: 'l', tenantId: 'acme', source: ['+12015550123'] })
    expect(await registry.drop('l')).toBe(false)
    expect(await registry.drop('l', { tenantId: 'acme' })).toBe(true)
    expect(registry.match('acme', '+12015550123')).toBeUndefined()
    expect(registry.lists('acme')).toEqual([])
    expect((await registry.load({ list: 'l', tenantId: 'acme', source: ['+12015550123'] })).version).toBe(2)
    expect(events[1]).toMatchObject({
      tenantId: 'acme',
      details: { kind: 'dnc.drop', list: 'l', version: 1 },
    })
  })
})

describe('tenant isolation', () => {
  it("a tenant's lookups see the global lists and its own, never another tenant's (property)", async () => {
    const number = fc.integer({ min: 0, max: 40 }).map((i) => `+1201555${String(i).padStart(4, '0')}`)
    const tenant = fc.constantFrom('acme', 'other', 'third')
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            owner: fc.option(tenant, { nil: undefined }),
            numbers: fc.array(number, { minLength: 1, maxLength: 10 }),
          }),
          {
            maxLength: 6,
          },
        ),
        async (lists) => {
          const { registry } = setup()
          const holders = new Map<string, { list: string; owner: string | undefined }[]>()
          for (const [i, l] of lists.entries()) {
            await registry.load({
              list: `list-${i}`,
              source: l.numbers,
              ...(l.owner === undefined ? {} : { tenantId: l.owner }),
            })
            for (const n of l.numbers)
              holders.set(n, [...(holders.get(n) ?? []), { list: `list-${i}`, owner: l.owner }])
          }
          for (const t of ['acme', 'other', 'third', 'nobody']) {
            for (let i = 0; i <= 40; i++) {
              const n = `+1201555${String(i).padStart(4, '0')}`
              const visible = (holders.get(n) ?? []).filter((h) => h.owner === undefined || h.owner === t)
              const match = registry.match(t, n)
              if (visible.length === 0) expect(match).toBeUndefined()
              else {
                expect(visible.map((h) => h.list)).toContain(match?.list)
                const holder = visible.find((h) => h.list === match?.list)!
                expect(match?.scope).toBe(holder.owner === undefined ? 'global' : 'tenant')
              }
            }
            const names = registry.lists(t).map((l) => l.tenantId)
            expect(names.every((owner) => owner === undefined || owner === t)).toBe(true)
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('keeps tenant lists of the same name apart', async () => {
    const { registry } = setup()
    await registry.load({ list: 'internal', tenantId: 'acme', source: ['+12015550123'] })
    await registry.load({ list: 'internal', tenantId: 'other', source: ['+12015550124'] })
    expect(registry.match('acme', '+12015550123')).toEqual({ list: 'internal', scope: 'tenant' })
    expect(registry.match('acme', '+12015550124')).toBeUndefined()
    expect(registry.match('other', '+12015550123')).toBeUndefined()
    expect(registry.lists()).toEqual([])
  })
})

describe('the fast path reads every number as parseNumber does', () => {
  const regions = [
    'CN',
    'US',
    'GB',
    'DE',
    'FR',
    'IT',
    'RU',
    'BR',
    'JP',
    'IN',
    'AU',
    'MX',
    'AR',
    'HK',
  ] as const

  function expected(text: string, region: string): number | string {
    try {
      const value = e164Value(parseNumber(text, { defaultRegion: region }).e164)
      return value < 0 ? 'TOO_LONG' : value
    } catch (error) {
      if (error instanceof NumberInvalid) return error.problem
      throw error
    }
  }

  it.each(regions)('%s: E.164, 00 and national forms of numbers near the examples (property)', (region) => {
    const example = parsePhoneNumberWithError(
      (examples as Record<string, string>)[region]!,
      region as CountryCode,
    )
    const national = String(example.nationalNumber)
    const code = String(getCountryCallingCode(region as CountryCode))
    const reader = new DncNumberReader(region)
    const arbitrary = fc.record({
      keep: fc.integer({ min: 1, max: national.length }),
      tail: fc.stringMatching(/^\d{0,12}$/),
      trunk: fc.constantFrom('', '0', '1', '8'),
      form: fc.constantFrom('e164', '00', 'national'),
    })
    fc.assert(
      fc.property(arbitrary, ({ keep, tail, trunk, form }) => {
        const digits = (national.slice(0, keep) + tail).slice(0, 15)
        const text =
          form === 'e164' ? `+${code}${digits}` : form === '00' ? `00${code}${digits}` : `${trunk}${digits}`
        const got = reader.readString(text)
        const want = expected(text, region)
        expect(got > 0 ? got : resultProblem(got)).toBe(want)
      }),
      { numRuns: 400 },
    )
  })
})

describe('dnc middleware', () => {
  async function chain(withNumberChecks: boolean) {
    const { registry } = setup()
    await registry.load({ list: 'us-national', source: ['+12015550123'] })
    await registry.load({ list: 'internal', tenantId: 'acme', source: ['13988888888'], region: 'CN' })
    let reached = 0
    let pipeline = createPipeline<OutboundCall>()
    if (withNumberChecks) pipeline = pipeline.use(numberChecks({ regionOf: () => 'CN' }))
    pipeline = pipeline.use(dnc({ registry, regionOf: () => 'CN' })).use(async (_ctx, next) => {
      reached++
      await next()
    })
    const run = (tenantId: string, callee: string) =>
      pipeline.run({ type: 'outbound', tenantId, callId: 'c-1', callee }, { dryRun: true })
    return { run, reached: () => reached }
  }

  it.each([true, false])(
    'denies with ERR_POLICY_DNC and { list, scope }, never the number (numberChecks before: %s)',
    async (withNumberChecks) => {
      const { run, reached } = await chain(withNumberChecks)
      const global = await run('other', '+1 201 555 0123')
      expect(global.verdict).toBe('deny')
      expect(global.reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_DNC',
        middleware: 'dnc',
        details: { list: 'us-national', scope: 'global' },
      })
      expect(JSON.stringify(global.reasons)).not.toMatch(/2015550123|555.?0123/)
      const own = await run('acme', '139 8888 8888')
      expect(own.reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_DNC',
        details: { list: 'internal', scope: 'tenant' },
      })
      expect(JSON.stringify(own.reasons)).not.toMatch(/88888888/)
      expect(reached()).toBe(0)
      expect((await run('other', '139 8888 8888')).verdict).toBe('allow')
      expect(reached()).toBe(1)
    },
  )

  it('lets a callee it cannot read through with a note (numberChecks refuses those)', async () => {
    const { run } = await chain(false)
    const decision = await run('acme', 'not a number')
    expect(decision.verdict).toBe('allow')
    expect(decision.reasons).toMatchObject([
      { code: 'policy.dnc.unidentified', details: { problem: 'NOT_A_NUMBER' } },
    ])
  })

  it('is wired by createDncPolicy, which loads configured lists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-dnc-'))
    try {
      await writeFile(join(dir, 'crm.csv'), 'id,phone\n1,13988888888\n')
      const events: AuditEventInput[] = []
      const policy = createDncPolicy({
        clock: new ManualClock(0),
        audit: { append: async (e) => void events.push(e) },
        regionOf: () => 'CN',
      })
      const reports = await policy.loadLists([
        {
          name: 'internal',
          file: join(dir, 'crm.csv'),
          format: 'csv',
          column: 'phone',
          region: 'CN',
          tenantId: 'acme',
        },
      ])
      expect(reports).toMatchObject([{ list: 'internal', tenantId: 'acme', accepted: 1 }])
      const decision = await createPipeline<OutboundCall>()
        .use(policy.middleware())
        .run({ type: 'outbound', tenantId: 'acme', callId: 'c-1', callee: '13988888888' })
      expect(decision.reasons[0]).toMatchObject({ code: 'ERR_POLICY_DNC' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
