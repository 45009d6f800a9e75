/**
 * Audit trails exist only for registered tenants and the global trail (`system`), on both
 * stacks as `createCallwarden()` assembles them: every audit call naming an unknown tenant is
 * refused with `ERR_TENANT_INVALID` and writes nothing, and no tenant may take the id `system`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const actor = { id: 'u-1', role: 'admin' }
const event = (tenantId: string) => ({
  tenantId,
  actor,
  action: 'recording.play',
  target: { type: 'recording', id: 'rec-1' },
  outcome: 'success' as const,
})

for (const stack of CALLWARDEN_STACKS) {
  describe(`audit trails of registered tenants only, on ${stack.name}`, () => {
    let dir: string
    let cw: Callwarden
    let dispose: () => Promise<void>

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-audit-tenants-'))
      const opened = await stack.open(dir)
      dispose = opened.dispose
      cw = await createCallwarden(
        {
          ...opened.config,
        },
        { loadEnvironment: false, clock: new ManualClock(new Date('2026-03-02T02:00:00Z')) },
      )
      await cw.tenants.create({ id: 'acme', name: 'ACME' })
    })

    afterAll(async () => {
      await cw?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    const auditRows = (tenantId: string) =>
      Promise.all(
        ['cw_audit_events', 'cw_audit_heads', 'cw_audit_checkpoints'].map(async (table) =>
          cw.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('tenant_id', '=', tenantId)
            .executeTakeFirstOrThrow()
            .then((r) => Number(r.n)),
        ),
      )

    it('refuses every audit call for an unregistered tenant and writes nothing', async () => {
      const audit = cw.audit
      const calls: [string, () => Promise<unknown>][] = [
        ['append', () => audit.append(event('nope'))],
        [
          'append in a transaction',
          () => cw.database.db.transaction().execute((trx) => audit.append(event('nope'), { trx })),
        ],
        ['log.append', () => audit.log.append(event('nope'))],
        ['head', () => audit.head('nope')],
        ['checkpoint', () => audit.checkpoint('nope', { force: true })],
        ['checkpoints', () => audit.checkpoints('nope')],
        ['query', () => audit.query({ tenantId: 'nope', by: actor })],
        ['verify', () => audit.verify({ tenantId: 'nope' })],
        ['exportBundle', () => audit.exportBundle({ tenantId: 'nope' })],
        ['prove', () => audit.prove({ tenantId: 'nope', seq: 1 })],
        ['purge', () => audit.purge({ tenantId: 'nope' })],
      ]
      for (const [name, call] of calls) {
        await expect(call(), name).rejects.toMatchObject({ code: 'ERR_TENANT_INVALID' })
      }
      expect(await auditRows('nope')).toEqual([0, 0, 0])
    })

    it('keeps the trails of registered tenants and the global trail', async () => {
      await cw.audit.append(event('acme'))
      await cw.audit.append(event('system'))
      expect(await cw.audit.verify({ tenantId: 'acme' })).toMatchObject({ ok: true, eventsChecked: 1 })
      expect(await cw.audit.verify({ tenantId: 'system' })).toMatchObject({ ok: true, eventsChecked: 1 })
    })

    it('audits a tenant as soon as it is created, inside a caller transaction too', async () => {
      await expect(cw.audit.append(event('late'))).rejects.toMatchObject({ code: 'ERR_TENANT_INVALID' })
      await cw.tenants.create({ id: 'late', name: 'Late' })
      // Not in the registry's recent reads: on SQLite the check reads through the transaction.
      await cw.database.db.transaction().execute((trx) => cw.audit.append(event('late'), { trx }))
      expect(await cw.audit.verify({ tenantId: 'late' })).toMatchObject({ ok: true, eventsChecked: 1 })
    })

    it('reserves the global trail id: no tenant may be named system', async () => {
      await expect(cw.tenants.create({ id: 'system', name: 'System' })).rejects.toMatchObject({
        code: 'ERR_TENANT_INVALID',
      })
      expect(await cw.tenants.find('system')).toBeUndefined()
    })
  })
}
