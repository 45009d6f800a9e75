/**
 * Masking as `createCallwarden()` assembles it, on both stacks: the standard agent-view,
 * outbound and IVR chains against a real tenant UID endpoint (node:http), with the real
 * audit trail recording unmasking and mapping failures.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCallwarden, type Callwarden } from '../../src/index.js'
import type { AgentViewEvent, IvrInputEvent, OutboundCall } from '../../src/pipeline/call-events.js'
import { UidEndpoint } from '../fixtures/uid-endpoint.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const REAL = '+8618912348352'
// Dials are decided at a fixed instant inside China's calling hours (10:00 on a Tuesday in
// Beijing), so the outcome does not depend on when the suite runs.
const DIAL_AT = '2026-06-02T02:00:00Z'
const NSN = '18912348352'
const AUDITOR = { id: 'auditor-1', role: 'auditor' } as const

function agentEvent(tenantId: string, overrides: Partial<AgentViewEvent> = {}): AgentViewEvent {
  return {
    type: 'agent-view',
    tenantId,
    callId: `call-${randomBytes(3).toString('hex')}`,
    agentId: 'agent-7',
    customerNumber: REAL,
    screenPopUrl: `https://crm.example.com/#?mobile=${NSN}&type=phone&status=100`,
    status: 100,
    direction: 'inbound',
    ...overrides,
  }
}

for (const stack of CALLWARDEN_STACKS) {
  describe(`masking chains on ${stack.name}`, () => {
    let dir: string
    let endpoint: UidEndpoint
    let cw: Callwarden
    let dispose: () => Promise<void>

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-masking-'))
      endpoint = await UidEndpoint.start({ auth: { type: 'basic', username: 'cw', password: 'pw' } })
      const opened = await stack.open(dir)
      dispose = opened.dispose
      cw = await createCallwarden(
        {
          ...opened.config,
          log: { level: 'silent' },
          audit: { signingKeyFile: join(dir, 'audit-key.json') },
          masking: {
            ivrHashSecretFile: join(dir, 'ivr-hash-secret'),
            ivrWithholdVariables: ['member_no'],
            tenants: {
              uidco: {
                uidEndpoint: {
                  url: endpoint.url,
                  auth: { type: 'basic', username: 'cw', password: 'pw' },
                  batchWindowMs: 2,
                  retries: 0,
                },
              },
            },
          },
        },
        { loadEnvironment: false },
      )
      await cw.tenants.create({ id: 'maskco', name: 'Mask Co', protectionMode: 'mask' })
      await cw.tenants.create({ id: 'uidco', name: 'UID Co', protectionMode: 'uid' })
      await cw.tenants.create({ id: 'nouidco', name: 'No Endpoint Co', protectionMode: 'uid' })
    })

    afterAll(async () => {
      await cw?.close()
      await endpoint?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    it('shows agents of a mask-mode tenant the masked number, in the desk and the screen pop', async () => {
      const decision = await cw.pipeline.agentView.run(agentEvent('maskco'))
      expect(decision.verdict).toBe('allow')
      expect(decision.event.customerNumber).toBe('189****8352')
      expect(decision.event.screenPopUrl).toBe(
        'https://crm.example.com/#?mobile=189****8352&type=phone&status=100',
      )
      expect(JSON.stringify(decision)).not.toContain(NSN)
    })

    it("shows agents of a uid-mode tenant the endpoint's UID", async () => {
      const decision = await cw.pipeline.agentView.run(agentEvent('uidco'))
      expect(decision.event.customerNumber).toBe(UidEndpoint.uidFor(NSN))
      expect(decision.event.screenPopUrl).toContain(`mobile=${UidEndpoint.uidFor(NSN)}&`)
    })

    it('fails closed when the endpoint is down or missing, and audits the failure', async () => {
      endpoint.behave({ kind: 'status', status: 503 })
      try {
        const fresh = '+8613712345678'
        const down = await cw.pipeline.agentView.run(
          agentEvent('uidco', { customerNumber: fresh, callId: 'call-down' }),
        )
        expect(down.verdict).toBe('allow')
        expect(down.event.customerNumber).toBe('***********')
        const missing = await cw.pipeline.agentView.run(agentEvent('nouidco', { callId: 'call-missing' }))
        expect(missing.event.customerNumber).toBe('***********')
      } finally {
        endpoint.behave({ kind: 'ok' })
      }
      const page = await cw.audit.query({ tenantId: 'uidco', by: AUDITOR, action: 'number.uid.unresolved' })
      expect(page.events).toMatchObject([
        {
          action: 'number.uid.unresolved',
          outcome: 'failure',
          reason: 'ERR_UID_UNRESOLVED',
          target: { type: 'call', id: 'call-down' },
          details: { reason: 'unavailable' },
        },
      ])
      const other = await cw.audit.query({
        tenantId: 'nouidco',
        by: AUDITOR,
        action: 'number.uid.unresolved',
      })
      expect(other.events).toMatchObject([{ details: { reason: 'not_configured' } }])
      expect((await cw.audit.verify({ tenantId: 'uidco' })).ok).toBe(true)
    })

    it('lets an admin unmask, on the audit trail, and shows auditors the masked number', async () => {
      const admin = { id: 'admin-1', role: 'admin', sourceAddress: '10.1.2.3' } as const
      expect(
        await cw.masking.view({ tenantId: 'maskco', number: REAL, viewer: admin, callId: 'call-9' }),
      ).toEqual({
        kind: 'real',
        text: REAL,
      })
      expect(await cw.masking.view({ tenantId: 'maskco', number: REAL, viewer: AUDITOR })).toEqual({
        kind: 'masked',
        text: '189****8352',
      })
      const page = await cw.audit.query({ tenantId: 'maskco', by: AUDITOR, action: 'number.unmask' })
      expect(page.events).toMatchObject([
        {
          actor: { id: 'admin-1', role: 'admin', sourceAddress: '10.1.2.3' },
          target: { type: 'call', id: 'call-9' },
        },
      ])
      expect(JSON.stringify(page.events)).not.toContain(NSN)
    })

    it('dials by UID, and refuses a UID the endpoint does not know', async () => {
      const uid = UidEndpoint.uidFor(NSN)
      const call = (calleeUid: string): OutboundCall => ({
        type: 'outbound',
        tenantId: 'uidco',
        callId: `dial-${calleeUid}`,
        callee: '',
        calleeUid,
        agentId: 'agent-7',
        purpose: 'service',
        at: DIAL_AT,
      })
      const dialled = await dialThroughChain(cw, uid)
      expect(dialled).toBe(REAL)
      const unknown = await cw.pipeline.outbound.run(call('u-nobody'))
      expect(unknown.verdict).toBe('deny')
      expect(unknown.reasons.at(-1)).toMatchObject({ code: 'ERR_UID_UNRESOLVED' })
    })

    it('withholds the number of an agent view the chain denies', async () => {
      await cw.tenants.create({ id: 'gone', name: 'Gone', protectionMode: 'mask' })
      await cw.tenants.setStatus('gone', 'suspended')
      const decision = await cw.pipeline.agentView.run(agentEvent('gone'))
      expect(decision.verdict).toBe('deny')
      expect(decision.reasons.map((r) => r.code)).toContain('ERR_TENANT_INACTIVE')
      expect(decision.event.customerNumber).toBe('***********')
      expect(JSON.stringify(decision)).not.toContain(NSN)
    })

    it('stores IVR inputs redacted, hashed with a key of their own tenant', async () => {
      const ivr = (tenantId: string): IvrInputEvent => ({
        type: 'ivr-input',
        tenantId,
        callId: 'ivr-1',
        variable: 'dtmf',
        value: '13912345678',
      })
      const a = await cw.pipeline.ivrInput.run(ivr('maskco'))
      const b = await cw.pipeline.ivrInput.run(ivr('uidco'))
      expect(a.event.value).toBe('[PHONE]')
      expect(a.event.valueHash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/)
      expect(a.event.valueHash).not.toBe(b.event.valueHash)
    })

    it('withholds PIN-like and configured IVR variables entirely, with no hash', async () => {
      for (const variable of ['card_pin', 'MEMBER_NO']) {
        const decision = await cw.pipeline.ivrInput.run({
          type: 'ivr-input',
          tenantId: 'maskco',
          callId: 'ivr-2',
          variable,
          value: '482913',
        })
        expect(decision.event.value).toBe('[REDACTED]')
        expect(decision.event.valueHash).toBeUndefined()
        expect(JSON.stringify(decision)).not.toContain('482913')
      }
    })
  })
}

/** Dials by UID through the standard outbound chain and returns the resolved number. */
async function dialThroughChain(cw: Callwarden, uid: string): Promise<string> {
  const decision = await cw.pipeline.outbound.run({
    type: 'outbound',
    tenantId: 'uidco',
    callId: 'dial-1',
    calleeUid: uid,
    agentId: 'agent-7',
    purpose: 'service',
    at: DIAL_AT,
  })
  expect(decision.verdict).toBe('allow')
  return decision.event.callee
}
