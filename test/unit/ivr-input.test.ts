/**
 * The ivrInput middleware through a real pipeline: IVR values are stored redacted with a
 * keyed hash, keypad spellings of an ID are understood, and the raw value never survives
 * on the event, in a reason or in an error.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { hashIvrValue, ivrInput, REDACTED_TOKEN } from '../../src/masking/index.js'
import * as redaction from '../../src/masking/redaction/redact-text.js'
import { createPipeline, type IvrInputEvent, type Middleware } from '../../src/pipeline/index.js'
import { cnId } from '../fixtures/redaction/generators.js'

const key = Buffer.alloc(32, 7)
const id = cnId('110105', '19491231', '002') // ends in X

const event = (value: string, variable = 'dtmf'): IvrInputEvent => ({
  type: 'ivr-input',
  tenantId: 'acme',
  callId: 'c-1',
  variable,
  value,
})

/** Records what the next middleware sees. */
const spy = () => {
  const seen: { value: string; valueHash: string | undefined }[] = []
  const mw: Middleware<IvrInputEvent> = async function downstream(ctx, next) {
    seen.push({ value: ctx.event.value, valueHash: ctx.event.valueHash })
    await next()
  }
  return { seen, mw }
}

const run = async (
  value: string,
  options: Partial<Parameters<typeof ivrInput>[0]> = {},
  variable?: string,
) => {
  const { seen, mw } = spy()
  const decision = await createPipeline<IvrInputEvent>()
    .use(ivrInput({ hashKey: key, ...options }))
    .use(mw)
    .run(event(value, variable))
  return { decision, seen }
}

describe('ivrInput', () => {
  it('rewrites the value before next() and sets the keyed hash', async () => {
    const { decision, seen } = await run('13912345678')
    expect(seen).toEqual([{ value: '[PHONE]', valueHash: hashIvrValue('13912345678', key) }])
    expect(decision.verdict).toBe('allow')
    expect(decision.event.value).toBe('[PHONE]')
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        code: 'IVR_INPUT_REDACTED',
        details: { variable: 'dtmf', kinds: ['phone'] },
      }),
    ])
  })

  it("hashes with each tenant's own key when given a key function", async () => {
    const keys: Record<string, Buffer> = { acme: Buffer.alloc(32, 1), globex: Buffer.alloc(32, 2) }
    const asked: string[] = []
    const chain = createPipeline<IvrInputEvent>().use(
      ivrInput({
        hashKey: (tenantId) => {
          asked.push(tenantId)
          return keys[tenantId] as Buffer
        },
      }),
    )
    const a = await chain.run({ ...event('4321'), tenantId: 'acme' })
    const b = await chain.run({ ...event('4321'), tenantId: 'globex' })
    await chain.run({ ...event('4321'), tenantId: 'acme' })
    expect(a.event.valueHash).toBe(hashIvrValue('4321', keys.acme as Buffer))
    expect(b.event.valueHash).toBe(hashIvrValue('4321', keys.globex as Buffer))
    expect(a.event.valueHash).not.toBe(b.event.valueHash)
    expect(asked).toEqual(['acme', 'globex']) // imported once per tenant
  })

  it('the hash is HMAC-SHA256 of the normalised value, written hmac-sha256:<hex>', () => {
    const expected = createHmac('sha256', key).update(id).digest('hex')
    expect(hashIvrValue(id, key)).toBe(`hmac-sha256:${expected}`)
    expect(hashIvrValue(id, key)).toMatch(/^hmac-sha256:[0-9a-f]{64}$/)
    // Keyed: another key, another hash.
    expect(hashIvrValue(id, Buffer.alloc(32, 8))).not.toBe(hashIvrValue(id, key))
  })

  it('normalises keypad and typing variants to one hash', () => {
    const variants = [
      id,
      id.toLowerCase(),
      `${id.slice(0, 17)}*`,
      `${id.slice(0, 17)}*#`,
      `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`,
      `${id.slice(0, 6)}-${id.slice(6, 14)}-${id.slice(14)}`,
      id.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))),
    ]
    for (const v of variants) expect(hashIvrValue(v, key), v).toBe(hashIvrValue(id, key))
    expect(hashIvrValue('+8613912345678', key)).not.toBe(hashIvrValue('13912345678', key))
    expect(hashIvrValue('1234*5', key)).not.toBe(hashIvrValue('1234X5', key))
  })

  it('reads a trailing * as the X of an ID number keyed on a phone pad', async () => {
    const keyed = `${id.slice(0, 17)}*`
    const { seen } = await run(keyed)
    expect(seen[0]).toEqual({ value: '[CN_ID]', valueHash: hashIvrValue(id, key) })
    // Without the keypad reading the 17 digits and * would not be an ID.
    expect(redaction.redactText(keyed).findings.map((f) => f.kind)).not.toContain('cn-resident-id')
  })

  it('replaces a value that is a sensitive number and nothing else entirely', async () => {
    for (const [value, expected] of [
      [`${id}#`, '[CN_ID]'],
      ['6205 5000 0000 0000 004#', '[CARD]'],
      ['4111111111111111', '[CARD]'],
      ['  13912345678 # ', '[PHONE]'],
    ]) {
      expect((await run(value!)).seen[0]!.value, value).toBe(expected)
    }
  })

  it('redacts spans inside a longer value and keeps the rest', async () => {
    const { seen } = await run('我的身份证是' + id + '，订单号 20240305001', { locale: 'CN' }, 'asr')
    expect(seen[0]!.value).toBe('我的身份证是[CN_ID]，订单号 20240305001')
  })

  it('leaves an input with nothing sensitive as it is, still with its hash', async () => {
    const { decision, seen } = await run('20240305001#')
    expect(seen[0]).toEqual({ value: '20240305001#', valueHash: hashIvrValue('20240305001', key) })
    expect(decision.reasons).toEqual([])
  })

  it('uses the locale for national phone numbers', async () => {
    expect((await run('13912345678', { locale: 'CN' })).seen[0]!.value).toBe('[PHONE]')
    expect((await run('13912345678', { locale: 'US' })).seen[0]!.value).toBe('13912345678')
    expect((await run('(201) 555-0123', { locale: 'US' })).seen[0]!.value).toBe('[PHONE]')
  })

  it('withholds whole the variables it is told to, keeping no hash of them', async () => {
    const { decision, seen } = await run('4321#', { withholdVariables: ['Member_No', /^acct_/] }, 'member_no')
    expect(seen[0]).toEqual({ value: REDACTED_TOKEN })
    expect(decision.event).not.toHaveProperty('valueHash')
    expect(decision.reasons[0]).toMatchObject({ details: { variable: 'member_no', withheld: true } })
    expect((await run('4321', { withholdVariables: [/^acct_/] }, 'acctPin')).seen[0]).toEqual({
      value: REDACTED_TOKEN,
    })
    // Giving the option replaces the default.
    expect((await run('4321', { withholdVariables: [] }, 'pin')).seen[0]!.value).toBe('4321')
  })

  it.each([
    'pin',
    'PIN',
    'card_pin',
    'cardPin',
    'pin2',
    'pincode',
    'password',
    'userPassword',
    'pwd',
    'passcode',
    'cvv',
    'CVV2',
    'card-cvc',
    'otp',
    'smsCode',
    'SMSCode',
    'verification_code',
    'security-code',
    'secret',
    '支付密码',
    '短信验证码',
  ])('withholds a PIN-like variable by default, with no hash: %s', async (variable) => {
    const { decision, seen } = await run('4321', {}, variable)
    expect(seen[0]).toEqual({ value: REDACTED_TOKEN })
    expect(decision.event).not.toHaveProperty('valueHash')
  })

  it.each(['dtmf', 'menu', 'spin', 'pinyin', 'option', 'account', 'shipping', 'topic'])(
    'redacts, not withholds, an ordinary variable by default: %s',
    async (variable) => {
      const { seen } = await run('4321', {}, variable)
      expect(seen[0]).toEqual({ value: '4321', valueHash: hashIvrValue('4321', key) })
    },
  )

  it('replaces a stale valueHash', async () => {
    const ev = { ...event('1234'), valueHash: 'hmac-sha256:stale' }
    const decision = await createPipeline<IvrInputEvent>()
      .use(ivrInput({ hashKey: key }))
      .run(ev)
    expect(decision.event.valueHash).toBe(hashIvrValue('1234', key))
  })

  it('fails closed: when redaction throws, the raw value is gone and the error does not hold it', async () => {
    const secret = '13912345678'
    const failure = vi.spyOn(redaction, 'detectSpans').mockImplementation(() => {
      throw new Error(`boom on ${secret}`)
    })
    try {
      const { seen, mw } = spy()
      const decision = await createPipeline<IvrInputEvent>()
        .use(ivrInput({ hashKey: key }), { name: 'ivrInput' })
        .use(mw)
        .run(event(secret))
      expect(seen).toEqual([])
      expect(decision.verdict).toBe('deny')
      expect(decision.event.value).toBe(REDACTED_TOKEN)
      expect(decision.reasons[0]).toMatchObject({
        code: 'ERR_POLICY_UNAVAILABLE',
        details: { error: 'ERR_INTERNAL' },
      })
      const error = decision.failure?.error as Error & { cause?: unknown }
      expect(error).toMatchObject({ code: 'ERR_INTERNAL' })
      expect(error.cause).toBeUndefined()
      expect(
        JSON.stringify(decision, (_k, v: unknown) => (v instanceof Error ? v.message : v)),
      ).not.toContain('1391234')
      expect(error.message).not.toContain('1391234')
    } finally {
      failure.mockRestore()
    }
  })

  it('a non-string value is withheld and rejected', async () => {
    const decision = await createPipeline<IvrInputEvent>()
      .use(ivrInput({ hashKey: key }))
      .run(event(13912345678 as never))
    expect(decision.verdict).toBe('deny')
    expect(decision.event.value).toBe(REDACTED_TOKEN)
    expect(decision.failure?.error).toBeInstanceOf(TypeError)
  })

  it('never puts the value in reasons or notes', async () => {
    const { decision } = await run(`卡号 4111 1111 1111 1111 身份证 ${id} 邮箱 a@b.cn 手机 13912345678`)
    const reasons = JSON.stringify(decision.reasons)
    for (const s of ['4111', id.slice(0, 10), 'a@b.cn', '1391234']) expect(reasons).not.toContain(s)
    expect(decision.reasons[0]!.details).toEqual({
      variable: 'dtmf',
      kinds: ['bank-card', 'cn-resident-id', 'email', 'phone'],
    })
  })

  it('takes a key of at least 32 bytes, copied at construction', async () => {
    expect(() => ivrInput({ hashKey: Buffer.alloc(31) })).toThrow(TypeError)
    expect(() => ivrInput({ hashKey: 'a'.repeat(64) as never })).toThrow(TypeError)
    expect(() => ivrInput(undefined as never)).toThrow(TypeError)
    expect(() => hashIvrValue('1', new Uint8Array(16))).toThrow(TypeError)
    expect(() => hashIvrValue(1 as never, key)).toThrow(TypeError)
    expect(() => ivrInput({ hashKey: key, locale: 'DE' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    )
    expect(() => ivrInput({ hashKey: key, withholdVariables: 'pin' as never })).toThrow(TypeError)
    expect(() => ivrInput({ hashKey: key, withholdVariables: [1] as never })).toThrow(TypeError)

    const mutable = new Uint8Array(randomBytes(32))
    const before = hashIvrValue('1234', mutable)
    const mw = ivrInput({ hashKey: mutable })
    mutable.fill(0)
    const decision = await createPipeline<IvrInputEvent>().use(mw).run(event('1234'))
    expect(decision.event.valueHash).toBe(before)
  })
})
