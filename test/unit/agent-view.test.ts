import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AuditEventInput, AuditSink } from '../../src/audit/audit-event.js'
import { ManualClock } from '../../src/clock.js'
import {
  NumberProtector,
  UidUnresolved,
  agentView,
  buildScreenPopUrl,
  dialByUid,
  type TenantProtection,
  type UidLookupResult,
  type UidMappingClient,
} from '../../src/masking/index.js'
import type { AgentViewEvent, OutboundCall } from '../../src/pipeline/call-events.js'
import { createPipeline } from '../../src/pipeline/pipeline.js'
import type { ProtectionMode } from '../../src/store/tenant-registry.js'

const REAL = '+8618912348352'
const NSN = '18912348352'

class RecordingAudit implements AuditSink {
  readonly events: AuditEventInput[] = []
  failing = false
  append(event: AuditEventInput): Promise<void> {
    if (this.failing) return Promise.reject(new Error('audit store down'))
    this.events.push(event)
    return Promise.resolve()
  }
}

/** A UID-mapping client over a fixed table; numbers it does not know fail to map. */
function tableClient(table: Record<string, string>, failWith?: UidUnresolved): UidMappingClient {
  const lookup = (keys: readonly string[], mode: 'PhoneToUID' | 'UIDToPhone') => {
    if (failWith) return Promise.reject(failWith)
    const result = new Map<string, string>()
    for (const key of keys) {
      const value = mode === 'PhoneToUID' ? table[key] : Object.entries(table).find(([, v]) => v === key)?.[0]
      if (value === undefined) return Promise.reject(new UidUnresolved(mode, 'not_found', 'unknown'))
      result.set(key, value)
    }
    return Promise.resolve(result)
  }
  const unused = (): Promise<Map<string, UidLookupResult>> => Promise.reject(new Error('not used'))
  return {
    phoneToUid: (numbers) => lookup(numbers, 'PhoneToUID'),
    uidToPhone: (uids) => lookup(uids, 'UIDToPhone'),
    phoneToUidSettled: unused,
    uidToPhoneSettled: unused,
    stats: () => ({ requests: 0, batches: 0, cacheHits: 0, cacheMisses: 0, circuit: 'closed' }),
    close: () => Promise.resolve(),
  }
}

function setup(
  mode: ProtectionMode,
  options: { client?: UidMappingClient; protection?: Partial<TenantProtection> } = {},
) {
  const audit = new RecordingAudit()
  const protector = new NumberProtector({
    protectionOf: () => ({ mode, ...options.protection }),
    uidClientFor: () => options.client,
    audit,
  })
  const chain = createPipeline<AgentViewEvent>({ name: 'agent-view', clock: new ManualClock(0) }).use(
    agentView(protector),
  )
  return { audit, protector, chain }
}

function agentEvent(overrides: Partial<AgentViewEvent> = {}): AgentViewEvent {
  return {
    type: 'agent-view',
    tenantId: 'acme',
    callId: 'call-1',
    agentId: 'agent-7',
    customerNumber: REAL,
    screenPopUrl: `https://crm.example.com/#?mobile=${NSN}&type=phone&status=100`,
    status: 100,
    direction: 'inbound',
    ...overrides,
  }
}

describe('NumberProtector views', () => {
  it.each([
    ['none', 'admin', 'real', REAL],
    ['none', 'agent', 'real', REAL],
    ['none', 'auditor', 'masked', '189****8352'],
    ['mask', 'admin', 'real', REAL],
    ['mask', 'agent', 'masked', '189****8352'],
    ['mask', 'auditor', 'masked', '189****8352'],
    ['uid', 'admin', 'real', REAL],
    ['uid', 'agent', 'uid', 'u-189'],
    ['uid', 'auditor', 'masked', '189****8352'],
  ] as const)('mode %s, %s sees the %s number', async (mode, role, kind, text) => {
    const { protector } = setup(mode, { client: tableClient({ [REAL]: 'u-189' }) })
    const view = await protector.view({ tenantId: 'acme', number: REAL, viewer: { id: 'u1', role } })
    expect(view).toEqual({ kind, text })
  })

  it('audits an admin unmask before showing the number, and shows nothing when it cannot', async () => {
    const { protector, audit } = setup('mask')
    const view = await protector.view({
      tenantId: 'acme',
      number: REAL,
      viewer: { id: 'admin-1', role: 'admin', sourceAddress: '10.0.0.9' },
      callId: 'call-9',
    })
    expect(view.kind).toBe('real')
    expect(audit.events).toEqual([
      {
        tenantId: 'acme',
        actor: { id: 'admin-1', role: 'admin', sourceAddress: '10.0.0.9' },
        action: 'number.unmask',
        target: { type: 'call', id: 'call-9' },
        outcome: 'success',
        details: { mode: 'mask' },
      },
    ])
    audit.failing = true
    await expect(
      protector.view({ tenantId: 'acme', number: REAL, viewer: { id: 'admin-1', role: 'admin' } }),
    ).rejects.toThrow('audit store down')
  })

  it('uses the tenant style and region', async () => {
    const { protector } = setup('mask', { protection: { style: 'last4', defaultRegion: 'GB' } })
    const view = await protector.view({
      tenantId: 'acme',
      number: '07700 900123',
      viewer: { id: 'a', role: 'agent' },
    })
    expect(view).toEqual({ kind: 'masked', text: '770090****' })
  })

  it('refuses an unknown role and a tenant style that would reveal the number', async () => {
    const { protector } = setup('mask')
    await expect(
      protector.view({ tenantId: 'acme', number: REAL, viewer: { id: 'x', role: 'root' as 'admin' } }),
    ).rejects.toThrow(TypeError)
    const revealing = setup('mask', { protection: { style: 'none' } }).protector
    await expect(
      revealing.view({ tenantId: 'acme', number: REAL, viewer: { id: 'x', role: 'agent' } }),
    ).rejects.toThrow(TypeError)
  })
})

describe('agentView() middleware', () => {
  it('masks customerNumber and the screen pop mobile in mask mode', async () => {
    const { chain } = setup('mask')
    const input = agentEvent()
    const decision = await chain.run(input)
    const event = decision.event
    expect(decision.verdict).toBe('allow')
    expect(event.customerNumber).toBe('189****8352')
    expect(event.screenPopUrl).toBe('https://crm.example.com/#?mobile=189****8352&type=phone&status=100')
  })

  it('shows the UID in uid mode', async () => {
    const { chain } = setup('uid', { client: tableClient({ [REAL]: 'u-189' }) })
    const input = agentEvent()
    const { event } = await chain.run(input)
    expect(event.customerNumber).toBe('u-189')
    expect(event.screenPopUrl).toBe('https://crm.example.com/#?mobile=u-189&type=phone&status=100')
  })

  it.each([
    ['the endpoint fails', tableClient({}, new UidUnresolved('PhoneToUID', 'timeout', 'slow'))],
    ['the number is unknown', tableClient({})],
    ['no endpoint is configured', undefined],
  ])('fails closed in uid mode when %s: fully masked, and audited', async (_name, client) => {
    const { chain, audit } = setup('uid', { client })
    const input = agentEvent()
    const decision = await chain.run(input)
    const event = decision.event
    expect(decision.verdict).toBe('allow')
    expect(event.customerNumber).toBe('***********')
    expect(event.screenPopUrl).toContain('mobile=***********&')
    expect(audit.events).toMatchObject([
      {
        action: 'number.uid.unresolved',
        outcome: 'failure',
        reason: 'ERR_UID_UNRESOLVED',
        target: { type: 'call', id: 'call-1' },
      },
    ])
    expect(JSON.stringify(audit.events)).not.toContain(NSN)
  })

  it.each([
    ['full-width digits', '１８９１２３４８３５２'],
    ['Arabic-Indic digits', '١٨٩١٢٣٤٨٣٥٢'],
    ['the first digit dropped', '8912348352'],
    ['five digits of it', 'u-48352'],
    ['the number reversed', '25384321981'],
    ['the number spelled out', 'oneeightnineonetwo'],
    ['the number spelled out, separated', 'Four.Eight.Three.Five.Two'],
    ["another customer's valid number", '13800000001'],
    ['markup', '<img src=x onerror=alert(1)>'],
    ['a space', 'u 189'],
    ['too long', 'u'.repeat(65)],
  ])(
    'withholds a UID from the host client that carries the number or is not a UID: %s',
    async (_name, uid) => {
      const { chain, audit } = setup('uid', { client: tableClient({ [REAL]: uid }) })
      const input = agentEvent()
      const { event } = await chain.run(input)
      expect(event.customerNumber).toBe('***********')
      expect(event.screenPopUrl).toBe('https://crm.example.com/#?mobile=***********&type=phone&status=100')
      expect(audit.events).toMatchObject([
        { action: 'number.uid.unresolved', details: { reason: 'invalid_response' } },
      ])
    },
  )

  it.each(['139abcdefg', 'u-189', 'A.b_c~d-9', 'x'.repeat(64)])(
    'shows a UID of the allowed form: %s',
    async (uid) => {
      const { chain } = setup('uid', { client: tableClient({ [REAL]: uid }) })
      const input = agentEvent()
      const { event } = await chain.run(input)
      expect(event.customerNumber).toBe(uid)
    },
  )

  it('withholds the number from the rest of the chain, and keeps it withheld when a later step denies', async () => {
    const { protector, audit } = setup('uid', { client: tableClient({ [REAL]: 'u-189' }) })
    const seen: string[] = []
    const chain = createPipeline<AgentViewEvent>({ name: 'agent-view', clock: new ManualClock(0) })
      .use(agentView(protector))
      .use(async (ctx) => {
        seen.push(ctx.event.customerNumber, ctx.event.screenPopUrl ?? '')
        ctx.deny('ERR_TENANT_INACTIVE', 'suspended')
      })
    const input = agentEvent()
    const decision = await chain.run(input)
    const event = decision.event
    expect(decision.verdict).toBe('deny')
    expect(seen).toEqual([
      '***********',
      'https://crm.example.com/#?mobile=***********&type=phone&status=100',
    ])
    expect(event.customerNumber).toBe('***********')
    expect(audit.events).toEqual([])
  })

  it('leaves no real number on the event when the tenant lookup itself fails', async () => {
    const protector = new NumberProtector({
      protectionOf: () => Promise.reject(new Error('database down')),
      audit: new RecordingAudit(),
    })
    const chain = createPipeline<AgentViewEvent>({ name: 'agent-view', clock: new ManualClock(0) }).use(
      agentView(protector),
    )
    const input = agentEvent()
    const decision = await chain.run(input)
    expect(decision.verdict).toBe('deny')
    expect(JSON.stringify(decision.event)).not.toContain(NSN)
  })

  it.each([
    ['plain http', `http://crm.example.com/#?mobile=${NSN}`],
    ['javascript:', `javascript:alert(1)`],
    ['credentials', `https://user:pw@crm.example.com/#?mobile=${NSN}`],
    ['the number elsewhere', `https://crm.example.com/customer/${NSN}#?mobile=${NSN}`],
    ['the number in another parameter', `https://crm.example.com/#?mobile=${NSN}&nickName=0086${NSN}`],
    [
      'the number in the port and path',
      `https://crm.example.com:${NSN.slice(0, 5)}/${NSN.slice(5)}#?mobile=x`,
    ],
    ['the number in the query', `https://crm.example.com/?c=${NSN.slice(1)}#?mobile=${NSN}`],
    ['the number in the hash route', `https://crm.example.com/#/c/${NSN}?mobile=${NSN}`],
    [
      'the number after a malformed escape',
      `https://crm.example.com/#?mobile=x&b=%E0${[...NSN].map((d) => `%3${d}`).join('')}`,
    ],
    [
      'the number encoded five times',
      `https://crm.example.com/#?mobile=x&c=${[...NSN].map((d) => `%2525252525${(0x30 + Number(d)).toString(16)}`).join('')}`,
    ],
    ['the number after a second mobile-like name', `https://crm.example.com/#?mobile=x&Mobile=${NSN}`],
  ])('refuses a screen pop with %s, removing it from the event', async (_name, url) => {
    const { chain } = setup('mask')
    const input = agentEvent({ screenPopUrl: url })
    const decision = await chain.run(input)
    const event = decision.event
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]?.code).toBe('ERR_SCREENPOP_INSECURE_URL')
    expect(event.screenPopUrl).toBeUndefined()
    expect(JSON.stringify(decision)).not.toContain(NSN)
  })

  const customerForms = [
    ['a tel: URI with an extension', `tel:+86${NSN};ext=12`],
    ['a tel: URI with separators', 'tel:+86-189-1234-8352'],
    ['00 and spaces', '0086 189 1234 8352'],
    ['the national form', NSN],
    ['full-width digits', '＋８６１８９１２３４８３５２'],
  ] as const
  const carriers = [
    ['the number', NSN],
    ['the number with +86', `%2B86${NSN}`],
    ['separators', '189-1234-8352'],
    ['full-width digits', encodeURIComponent('１８９１２３４８３５２')],
    ['Arabic-Indic digits', encodeURIComponent('١٨٩١٢٣٤٨٣٥٢')],
    ['the first digit dropped', NSN.slice(1)],
    ['encoded twice', encodeURIComponent(encodeURIComponent(`+86 ${NSN}`))],
    ['split across parameters', `18912&agentRoleId=348352`],
  ] as const
  it.each(
    customerForms.flatMap(([form, number]) => carriers.map(([how, text]) => [form, how, number, text])),
  )(
    'refuses a screen pop for a customer number in %s carrying it in another parameter as %s',
    async (_form, _how, customerNumber, carried) => {
      const { chain } = setup('mask')
      const input = agentEvent({
        customerNumber,
        screenPopUrl: `https://crm.example.com/#?mobile=${NSN}&nickName=${carried}`,
      })
      const decision = await chain.run(input)
      const event = decision.event
      expect(decision.reasons[0]?.code).toBe('ERR_SCREENPOP_INSECURE_URL')
      expect(event.screenPopUrl).toBeUndefined()
    },
  )

  it('refuses a screen pop carrying the number in any disguise, for any number and form', async () => {
    const fullWidth = (text: string) => text.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))
    const arabicIndic = (text: string) =>
      text.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)))
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^1[3-9]\d{9}$/),
        fc.constantFrom(
          (n: string) => `+86${n}`,
          (n: string) => `tel:+86${n};ext=7`,
          (n: string) => n,
        ),
        fc.constantFrom('', '+86', '0086', '86', '0'),
        fc.constantFrom('', '-', ' ', '.'),
        fc.constantFrom(
          (t: string) => t,
          fullWidth,
          arabicIndic,
          (t: string) => t.slice(1),
          (t: string) => t.slice(0, -1),
        ),
        fc.constantFrom('nickName', 'userId', 'agentRoleId'),
        async (nsn, customerForm, prefix, separator, disguise, param) => {
          const { chain } = setup('mask')
          const written = disguise(prefix + nsn.replace(/^(\d{3})(\d{4})/, `$1${separator}$2${separator}`))
          const input = agentEvent({
            customerNumber: customerForm(nsn),
            screenPopUrl: `https://crm.example.com/#?mobile=${nsn}&${param}=${encodeURIComponent(written)}`,
          })
          const decision = await chain.run(input)
          expect(decision.reasons[0]?.code).toBe('ERR_SCREENPOP_INSECURE_URL')
        },
      ),
      { numRuns: 200 },
    )
  })

  const inScript = (first: number) => (text: string) =>
    [...text].map((d) => String.fromCodePoint(first + Number(d))).join('')
  const fromTable = (table: string) => (text: string) => [...text].map((d) => [...table][Number(d)]).join('')
  const readableNotations = [
    ['dingbat negative circled digits', fromTable('⓿❶❷❸❹❺❻❼❽❾')],
    ['dingbat circled sans-serif digits', fromTable('🄋➀➁➂➃➄➅➆➇➈')],
    ['double circled digits', fromTable('⓿⓵⓶⓷⓸⓹⓺⓻⓼⓽')],
    ['circled digits', fromTable('⓪①②③④⑤⑥⑦⑧⑨')],
    ['mathematical digits', inScript(0x1d7ce)],
    ['superscript digits', fromTable('⁰¹²³⁴⁵⁶⁷⁸⁹')],
    ['Chinese numerals', fromTable('〇一二三四五六七八九')],
    ['Chinese financial numerals', fromTable('零壹贰叁肆伍陆柒捌玖')],
    ['traditional financial numerals', fromTable('零壹貳參肆伍陸柒捌玖')],
    ['decimal HTML entities', (t: string) => [...t].map((d) => `&#${d.charCodeAt(0)};`).join('')],
    ['hex HTML entities', (t: string) => [...t].map((d) => `&#x${d.charCodeAt(0).toString(16)}`).join('')],
    ['\\u escapes', (t: string) => [...t].map((d) => `\\u003${d}`).join('')],
    ['%u escapes', (t: string) => [...t].map((d) => `%u003${d}`).join('')],
    ['the number reversed', (t: string) => [...t].reverse().join('')],
  ] as const
  it.each(
    readableNotations.flatMap(([name, write]) => [
      [name, 'raw', write(NSN)],
      [name, 'percent-encoded', encodeURIComponent(write(NSN))],
    ]),
  )('refuses a screen pop carrying the number as %s (%s)', async (_name, _how, carried) => {
    const { chain } = setup('mask')
    const input = agentEvent({ screenPopUrl: `https://crm.example.com/#?mobile=${NSN}&nickName=${carried}` })
    const decision = await chain.run(input)
    const event = decision.event
    expect(decision.reasons[0]?.code).toBe('ERR_SCREENPOP_INSECURE_URL')
    expect(event.screenPopUrl).toBeUndefined()
  })

  it.each([
    ['Devanagari', 0x0966],
    ['Thai', 0x0e50],
    ['Arabic-Indic', 0x0660],
  ])('refuses a screen pop whose IDN host is the number in %s digits', async (_script, first) => {
    const { chain } = setup('mask')
    const host = `${inScript(first)(NSN)}.example.com`
    expect(new URL(`https://${host}/`).hostname).toMatch(/^xn--/)
    const decision = await chain.run(agentEvent({ screenPopUrl: `https://${host}/#?mobile=${NSN}` }))
    expect(decision.reasons[0]?.code).toBe('ERR_SCREENPOP_INSECURE_URL')
  })

  it('accepts a screen pop whose other parameters only share a few digits with the number', async () => {
    const { chain } = setup('mask')
    const input = agentEvent({
      customerNumber: `tel:+86${NSN};ext=12`,
      screenPopUrl: `https://crm.example.com/t/189#?mobile=${NSN}&sdkAppId=1400123&userId=u-834&status=100`,
    })
    const decision = await chain.run(input)
    const event = decision.event
    expect(decision.verdict).toBe('allow')
    expect(event.screenPopUrl).toBe(
      'https://crm.example.com/t/189#?mobile=189****8352&sdkAppId=1400123&userId=u-834&status=100',
    )
  })

  it("never puts the real number's digits into an agent view, whatever the number and mode", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^1[3-9]\d{9}$/),
        fc.constantFrom<ProtectionMode>('mask', 'uid'),
        fc.boolean(),
        async (nsn, mode, endpointUp) => {
          const client = tableClient(
            { [`+86${nsn}`]: 'u-x' },
            endpointUp ? undefined : new UidUnresolved('PhoneToUID', 'unavailable', 'down'),
          )
          const { chain } = setup(mode, { client })
          const input = agentEvent({
            customerNumber: `0086${nsn}`,
            screenPopUrl: `https://crm.example.com/#/c?mobile=${nsn}&type=phone`,
          })
          const { event } = await chain.run(input)
          const shown = event.customerNumber
          // The desk shows the UID, or a mask hiding at least the 4 middle digits ...
          if (shown !== 'u-x') {
            expect(shown).toMatch(/^\d{3}\*{4}\d{4}$|^\*{11}$/)
            expect(nsn.startsWith(shown.slice(0, 3).replaceAll('*', '')) || shown.startsWith('*')).toBe(true)
          }
          // ... and the screen pop carries exactly that, and no real digits anywhere else.
          expect(event.screenPopUrl).toBe(
            `https://crm.example.com/#/c?mobile=${encodeURIComponent(shown)}&type=phone`,
          )
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('dialByUid() middleware', () => {
  function outboundChain(client: UidMappingClient | undefined) {
    const audit = new RecordingAudit()
    const protector = new NumberProtector({
      protectionOf: () => ({ mode: 'uid' }),
      uidClientFor: () => client,
      audit,
    })
    const chain = createPipeline<OutboundCall>({ name: 'outbound', clock: new ManualClock(0) }).use(
      dialByUid(protector),
    )
    return { chain, audit }
  }
  const call = (calleeUid: string): OutboundCall => ({
    type: 'outbound',
    tenantId: 'acme',
    callId: 'call-2',
    callee: '',
    calleeUid,
    agentId: 'agent-7',
  })

  it('fills in the number behind the UID', async () => {
    const { chain } = outboundChain(tableClient({ [REAL]: 'u-189' }))
    const decision = await chain.run(call('u-189'))
    expect(decision.verdict).toBe('allow')
    expect(decision.event.callee).toBe(REAL)
  })

  it('denies with ERR_UID_UNRESOLVED, and audits, when the UID cannot be resolved', async () => {
    const { chain, audit } = outboundChain(tableClient({}))
    const decision = await chain.run(call('u-unknown'))
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]).toMatchObject({
      code: 'ERR_UID_UNRESOLVED',
      details: { reason: 'not_found' },
    })
    expect(decision.event.callee).toBe('')
    expect(audit.events[0]).toMatchObject({
      action: 'number.uid.unresolved',
      target: { type: 'call', id: 'call-2' },
    })
    const unconfigured = await outboundChain(undefined).chain.run(call('u-189'))
    expect(unconfigured.reasons[0]).toMatchObject({
      code: 'ERR_UID_UNRESOLVED',
      details: { reason: 'not_configured' },
    })
  })
})

describe('buildScreenPopUrl()', () => {
  it('writes the parameters in the hash, after any route the page has', () => {
    expect(buildScreenPopUrl('https://crm.example.com/', { mobile: '189****8352', status: 100 })).toBe(
      'https://crm.example.com/#?mobile=189****8352&type=phone&status=100',
    )
    expect(
      buildScreenPopUrl('https://crm.example.com/app#/customer', {
        mobile: 'u-189',
        type: 'im',
        nickName: 'Zhang San',
        sdkAppId: '1400000001',
      }),
    ).toBe(
      'https://crm.example.com/app#/customer?mobile=u-189&type=im&nickName=Zhang+San&sdkAppId=1400000001',
    )
  })

  it.each([
    'http://crm.example.com/',
    'ftp://crm.example.com/',
    'https://u:p@crm.example.com/',
    'crm.example.com',
  ])('refuses %s with ERR_SCREENPOP_INSECURE_URL', (base) => {
    expect(() => buildScreenPopUrl(base, {})).toThrow(
      expect.objectContaining({ code: 'ERR_SCREENPOP_INSECURE_URL' }),
    )
  })
})
