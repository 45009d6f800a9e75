/**
 * The audit trail's contract on both stacks: gapless group-committed appends, appends inside
 * a caller's transaction, checkpoints, online and offline verification, inclusion proofs,
 * auditor queries, retention, and tenant isolation.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { AuditTrail } from '../../src/audit/audit-trail.js'
import { verifyBundle } from '../../src/audit/audit-bundle.js'
import { verifyInclusionProof } from '../../src/audit/audit-proof.js'
import { tenantDb } from '../../src/audit/audit-tables.js'
import { AuditKeys } from '../../src/audit/audit-keys.js'
import { STACKS, type Stack } from './stacks.js'
import { event, openTrail } from './audit-helpers.js'

for (const stack of STACKS) {
  describe(`audit trail on ${stack.name}`, () => {
    let database: Awaited<ReturnType<Stack['openDatabase']>>
    let blobs: Awaited<ReturnType<Stack['openBlobStore']>>
    let trail: AuditTrail
    let dir: string
    const clock = new ManualClock(new Date('2026-01-10T09:00:00Z'))

    beforeAll(async () => {
      database = await stack.openDatabase()
      blobs = await stack.openBlobStore()
      trail = await openTrail(database, { anchors: blobs, clock })
      dir = await mkdtemp(join(tmpdir(), 'cw-audit-'))
    })

    afterAll(async () => {
      await trail?.close()
      await blobs?.dispose()
      await database?.dispose()
      await rm(dir, { recursive: true, force: true })
    })

    it('group-commits concurrent appends into one gapless chain', async () => {
      const results = await Promise.all(Array.from({ length: 250 }, (_, i) => trail.append(event('acme', i))))
      expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 250 }, (_, i) => i + 1),
      )
      expect(new Set(results.map((r) => r.hash)).size).toBe(250)
      const head = await trail.head('acme')
      expect(head.lastSeq).toBe(250)
      expect((await trail.verify({ tenantId: 'acme' })).ok).toBe(true)
    })

    it('loses no append that arrives while the previous batches commit', async () => {
      const pending: Promise<unknown>[] = []
      for (let i = 0; i < 300; i++) {
        pending.push(trail.append(event('waves', i)))
        // Spread over time, so appends keep landing while batches are in flight.
        if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2))
      }
      await Promise.all(pending)
      expect((await trail.head('waves')).lastSeq).toBe(300)
      expect((await trail.verify({ tenantId: 'waves' })).ok).toBe(true)
    })

    it('appends inside the caller’s transaction: committed together or not at all', async () => {
      const before = (await trail.head('acme')).lastSeq
      await expect(
        database.db.transaction().execute(async (trx) => {
          await trail.append(event('acme', 1000), { trx })
          throw new Error('the audited action failed')
        }),
      ).rejects.toThrow('the audited action failed')
      expect((await trail.head('acme')).lastSeq).toBe(before)
      const result = await database.db
        .transaction()
        .execute((trx) => trail.append(event('acme', 1001), { trx }))
      expect(result.seq).toBe(before + 1)
      expect((await trail.verify({ tenantId: 'acme' })).ok).toBe(true)
    })

    it('redacts personal data in details and refuses malformed events without writing', async () => {
      const r = await trail.append(
        event('acme', 7, { details: { caller: '+8613988888888', nested: { callee: '123' }, dtmf: '9' } }),
      )
      const page = await trail.query({
        tenantId: 'acme',
        by: { id: 'aud', role: 'auditor' },
        targetId: 'call-7',
        limit: 5,
      })
      const recorded = page.events.find((e) => e.seq === r.seq)!
      expect(recorded.details).toEqual({
        caller: '[REDACTED]',
        nested: { callee: '[REDACTED]' },
        dtmf: '[REDACTED]',
      })
      const head = (await trail.head('acme')).lastSeq
      await expect(trail.append(event('acme', 1, { action: 'Bad Action' }))).rejects.toMatchObject({
        code: 'ERR_AUDIT_EVENT_INVALID',
      })
      await expect(trail.append(event('acme', 1, { outcome: 'maybe' as never }))).rejects.toMatchObject({
        code: 'ERR_AUDIT_EVENT_INVALID',
      })
      await expect(trail.append(event('acme', 1, { details: { n: Number.NaN } }))).rejects.toMatchObject({
        code: 'ERR_AUDIT_EVENT_INVALID',
      })
      await expect(trail.append(event('ACME!', 1))).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' })
      await expect(trail.append(null as never)).rejects.toBeInstanceOf(TypeError)
      expect((await trail.head('acme')).lastSeq).toBe(head) // nothing was written
    })

    it('stores phone numbers in details and reason as [PHONE], whatever the key, and keeps other digit runs', async () => {
      const r = await trail.append(
        event('acme', 3001, {
          reason: 'callback to 13988888888 requested',
          details: {
            note: 'customer asked to be called on 0086 139 8888 8888 after 18:00',
            list: ['+8613988888888', 'ORD-20261208-0001'],
            '13988888888': true,
            at: '2026-12-08T10:00:00Z',
            stamp: '20261208100000',
            amount: '¥1,280.00',
            orderId: 'ORD-20261208-0001',
            ticket: '4821907',
            epochMs: '1765188000000',
          },
        }),
      )
      const [row] = await tenantDb(database.db, 'acme')
        .selectFrom('cw_audit_events')
        .select(['body'])
        .where('tenant_id', '=', 'acme')
        .where('seq', '=', r.seq)
        .execute()
      const body = String(row?.body)
      expect(body).not.toMatch(/3988888888|139 8888 8888/)
      const stored = JSON.parse(body) as { reason: string; details: Record<string, unknown> }
      expect(stored.reason).toBe('callback to [PHONE] requested')
      expect(stored.details).toEqual({
        note: 'customer asked to be called on [PHONE] after 18:00',
        list: ['[PHONE]', 'ORD-20261208-0001'],
        '[PHONE]': true,
        at: '2026-12-08T10:00:00Z',
        stamp: '20261208100000',
        amount: '¥1,280.00',
        orderId: 'ORD-20261208-0001',
        ticket: '4821907',
        epochMs: '1765188000000',
      })
      expect((await trail.verify({ tenantId: 'acme' })).ok).toBe(true)
    })

    it('stores a number-typed phone number and numbers in any notation in details and reason as [PHONE]', async () => {
      const r = await trail.append(
        event('acme', 3002, {
          reason: 'Tel13988888888 asked for a callback',
          details: {
            asNumber: 13988888888,
            nested: [{ n: 13988888888 }],
            zeroWidth: [...'13988888888'].join('\u200b'),
            math: '𝟏𝟑𝟗𝟖𝟖𝟖𝟖𝟖𝟖𝟖𝟖',
            glued: 'mobile13988888888',
            count: 42,
            epochMs: 1765188000000,
            amount: 1280.5,
            orderId: 20261208100000,
          },
        }),
      )
      const [row] = await tenantDb(database.db, 'acme')
        .selectFrom('cw_audit_events')
        .select(['body'])
        .where('tenant_id', '=', 'acme')
        .where('seq', '=', r.seq)
        .execute()
      const stored = JSON.parse(String(row?.body)) as { reason: string; details: Record<string, unknown> }
      expect(stored.reason).toBe('Tel[PHONE] asked for a callback')
      expect(stored.details).toEqual({
        asNumber: '[PHONE]',
        nested: [{ n: '[PHONE]' }],
        zeroWidth: '[PHONE]',
        math: '[PHONE]',
        glued: 'mobile[PHONE]',
        count: 42,
        epochMs: 1765188000000,
        amount: 1280.5,
        orderId: 20261208100000,
      })
      expect((await trail.verify({ tenantId: 'acme' })).ok).toBe(true)
    })

    it('stores quotes, backslashes, placeholders and any Unicode exactly, in the body and the key columns', async () => {
      const awkward = `o'brien \\ "x" ? ?? :a $1 \u2028 \u00e9 \u{1f600}`
      const details = { note: awkward, 'k\\"': ["'", '\\', '?', '\u0000'], deep: { s: "';--" } }
      await Promise.all([
        trail.append(
          event('acme', 2001, {
            actor: { id: `${awkward} actor`, role: "r'le\\" },
            target: { type: 'ty"pe', id: `${awkward} target` },
            details,
          }),
        ),
        trail.append(event('acme', 2002)),
      ])
      const page = await trail.query({
        tenantId: 'acme',
        by: { id: 'aud', role: 'auditor' },
        actorId: `${awkward} actor`,
        targetId: `${awkward} target`,
        limit: 5,
      })
      expect(page.events).toHaveLength(1)
      expect(page.events[0]).toMatchObject({
        actor: { id: `${awkward} actor`, role: "r'le\\" },
        target: { type: 'ty"pe', id: `${awkward} target` },
        details,
      })
      // Verification compares the key columns with the hashed body.
      expect((await trail.verify({ tenantId: 'acme' })).ok).toBe(true)
    })

    it('signs checkpoints, anchors them, verifies online and proves inclusion', async () => {
      const run = await trail.checkpoint('acme', { force: true })
      expect(run.status).toBe('checkpointed')
      expect(run.created.length).toBeGreaterThan(20) // everyEvents: 10
      expect(run.anchored).toBe(run.created.length)
      expect((await trail.checkpoint('acme', { force: true })).status).toBe('not-due') // idempotent
      const report = await trail.verify({ tenantId: 'acme' })
      expect(report).toMatchObject({ ok: true, problems: [] })
      expect(report.signedThroughSeq).toBe((await trail.head('acme')).lastSeq)
      const proof = await trail.prove({ tenantId: 'acme', seq: 123 })
      expect(await verifyInclusionProof(proof, await trail.jwks())).toMatchObject({ valid: true, seq: 123 })
      const forged = { ...proof, event: { ...proof.event, outcome: 'failure' as const } }
      expect((await verifyInclusionProof(forged, await trail.jwks())).valid).toBe(false)
      const otherKeys = await AuditKeys.load({ signingKeyFile: join(dir, 'other.json'), generate: true })
      expect((await verifyInclusionProof(proof, otherKeys.jwks())).valid).toBe(false)
      await trail.append(event('acme', 5000))
      await expect(
        trail.prove({ tenantId: 'acme', seq: (await trail.head('acme')).lastSeq }),
      ).rejects.toMatchObject({
        code: 'ERR_AUDIT_PROOF_UNAVAILABLE',
      })
    })

    it('exports a bundle that verifies offline, with the supplied JWKS or its own', async () => {
      const bundle = await trail.exportBundle({ tenantId: 'acme' })
      const file = join(dir, 'acme.zip')
      await bundle.writeTo(file)
      const trusted = await verifyBundle(file, { jwks: await trail.jwks() })
      expect(trusted).toMatchObject({
        ok: true,
        trustedKeys: 'supplied',
        eventsChecked: bundle.manifest.eventCount,
      })
      expect((await verifyBundle(file)).trustedKeys).toBe('bundle')
      const otherKeys = await AuditKeys.load({ signingKeyFile: join(dir, 'other.json'), generate: true })
      const untrusted = await verifyBundle(file, { jwks: otherKeys.jwks() })
      expect(untrusted.ok).toBe(false)
      expect(untrusted.firstBad?.kind).toBe('checkpoint-forged')
    })

    it('queries with filters and cursors, newest first, and records every query', async () => {
      const by = { id: 'auditor-1', role: 'auditor' }
      const all: number[] = []
      let cursor: string | undefined
      do {
        const page = await trail.query({
          tenantId: 'acme',
          by,
          action: 'recording.play',
          actorId: 'agent-0',
          limit: 7,
          ...(cursor ? { cursor } : {}),
        })
        for (const e of page.events) {
          expect(e).toMatchObject({ action: 'recording.play', actor: { id: 'agent-0' }, tenantId: 'acme' })
          all.push(e.seq)
        }
        cursor = page.nextCursor
      } while (cursor !== undefined)
      expect(all).toEqual([...all].sort((a, b) => b - a))
      expect(all.length).toBe(new Set(all).size)
      const queries = await trail.query({ tenantId: 'acme', by, action: 'audit.query', limit: 1000 })
      expect(queries.events.filter((e) => e.actor.id === 'auditor-1').length).toBeGreaterThan(2)
      const window = await trail.query({
        tenantId: 'acme',
        by,
        from: new Date('2026-01-10T08:00:00Z'),
        to: new Date('2026-01-10T10:00:00Z'),
        outcome: 'success',
        limit: 3,
      })
      expect(window.events).toHaveLength(3)
      await expect(trail.query({ tenantId: 'acme', by, limit: 0 })).rejects.toMatchObject({
        code: 'ERR_AUDIT_QUERY_INVALID',
      })
      await expect(
        trail.query({ tenantId: 'acme', by, cursor: window.nextCursor!, outcome: 'failure' }),
      ).rejects.toMatchObject({
        code: 'ERR_AUDIT_QUERY_INVALID',
      })
    })

    it('keeps tenants apart: no read, verify or proof crosses tenants', async () => {
      await trail.append(event('beta', 1))
      const page = await trail.query({ tenantId: 'beta', by: { id: 'aud', role: 'auditor' }, limit: 1000 })
      expect(page.events.every((e) => e.tenantId === 'beta')).toBe(true)
      const report = await trail.verify({ tenantId: 'beta' })
      expect(report).toMatchObject({ ok: true, eventsChecked: 2 })
      await expect(trail.prove({ tenantId: 'beta', seq: 100 })).rejects.toMatchObject({
        code: 'ERR_AUDIT_PROOF_UNAVAILABLE',
      })
      const scoped = tenantDb(database.db, 'beta')
      await expect(
        scoped.selectFrom('cw_audit_events').selectAll().where('tenant_id', '=', 'acme').execute(),
      ).rejects.toMatchObject({
        code: 'ERR_TENANT_SCOPE',
      })
      await expect(
        tenantDb(database.db, 'beta').selectFrom('cw_audit_events').selectAll().execute(),
      ).rejects.toMatchObject({
        code: 'ERR_TENANT_SCOPE',
      })
      // A proof of acme's event cannot be passed off as beta's.
      const proof = await trail.prove({ tenantId: 'acme', seq: 3 })
      const moved = { ...proof, event: { ...proof.event, tenantId: 'beta' } }
      expect((await verifyInclusionProof(moved, await trail.jwks())).valid).toBe(false)
    })

    it('retention purges old events up to a signed checkpoint and the rest stays verifiable', async () => {
      for (let i = 0; i < 25; i++) await trail.append(event('gamma', i))
      await trail.checkpoint('gamma', { force: true }) // 1..10, 11..20, 21..25
      clock.advance(400 * 86_400_000)
      for (let i = 0; i < 5; i++) await trail.append(event('gamma', 100 + i))
      const purge = await trail.purge({ tenantId: 'gamma' })
      expect(purge).toMatchObject({ status: 'purged', purgedThroughSeq: 25, deleted: 25 })
      expect((await trail.purge({ tenantId: 'gamma' })).status).toBe('nothing-due')
      const report = await trail.verify({ tenantId: 'gamma' })
      expect(report).toMatchObject({ ok: true, purged: [{ fromSeq: 1, toSeq: 25 }], firstSeq: 26 })
      await expect(trail.prove({ tenantId: 'gamma', seq: 3 })).rejects.toMatchObject({
        code: 'ERR_AUDIT_PROOF_UNAVAILABLE',
      })
      await trail.checkpoint('gamma', { force: true })
      const file = join(dir, 'gamma.zip')
      await (await trail.exportBundle({ tenantId: 'gamma' })).writeTo(file)
      expect(await verifyBundle(file, { jwks: await trail.jwks() })).toMatchObject({
        ok: true,
        purged: [{ fromSeq: 1, toSeq: 25 }],
      })
    })

    it('events removed as purged without a purge.run event recording it are reported deleted', async () => {
      for (let i = 0; i < 30; i++) await trail.append(event('delta', i))
      await trail.checkpoint('delta', { force: true }) // 1..10, 11..20, 21..30
      // Someone with database access moves the purged mark and deletes what it covers.
      const db = tenantDb(database.db, 'delta')
      await db
        .updateTable('cw_audit_heads')
        .set({ purged_through_seq: 20 })
        .where('tenant_id', '=', 'delta')
        .execute()
      await db.deleteFrom('cw_audit_events').where('tenant_id', '=', 'delta').where('seq', '<=', 20).execute()
      const report = await trail.verify({ tenantId: 'delta' })
      expect(report).toMatchObject({ ok: false, firstBad: { seq: 1, kind: 'event-deleted' } })
      // A purge through retention records itself, and the trail verifies again.
      const purge = await trail.purge({ tenantId: 'delta', olderThan: new Date(clock.now().getTime() + 1) })
      expect(purge).toMatchObject({ status: 'purged', purgedThroughSeq: 30 })
      expect(await trail.verify({ tenantId: 'delta' })).toMatchObject({
        ok: true,
        purged: [{ fromSeq: 1, toSeq: 30 }],
      })
    })
  })
}

describe('audit signing key of the embedded default', () => {
  it('is generated once with mode 0600 and reused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-key-'))
    try {
      const file = join(dir, '.callwarden', 'audit-signing-key.json')
      const first = await AuditKeys.load({ signingKeyFile: file, generate: true })
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      const again = await AuditKeys.load({ signingKeyFile: file, generate: true })
      expect(again.kid).toBe(first.kid)
      expect(JSON.stringify(first.jwks())).not.toContain('"d"')
      await expect(AuditKeys.load({ signingKeyFile: join(dir, 'none.json') })).rejects.toMatchObject({
        code: 'ERR_AUDIT_KEY_INVALID',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
