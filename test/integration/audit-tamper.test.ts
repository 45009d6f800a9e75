/**
 * The tamper matrix: every kind of damage at the start, middle and end of a chain, in the
 * database (both stacks, MariaDB included) and in an exported bundle verified offline.
 * Verification must name the first bad sequence number and the damage kind.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompactSign, importJWK } from 'jose'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chainHash } from '../../src/audit/audit-chain.js'
import { verifyBundle } from '../../src/audit/audit-bundle.js'
import type { AuditTrail } from '../../src/audit/audit-trail.js'
import { STACKS, type Stack } from './stacks.js'
import { event, openTrail, readZip, signingJwk, writeZip } from './audit-helpers.js'

const EVENTS = 30 // checkpoints 1..10, 11..20, 21..30

type Damage = { kind: string; at: 'start' | 'middle' | 'end'; expect: { kind: string; seq: number } }

async function forgedJws(jws: string, mutate?: (p: Record<string, unknown>) => void): Promise<string> {
  const [header, payload] = jws.split('.') as [string, string, string]
  const p = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  if (mutate === undefined) {
    const key = await signingJwk('intruder')
    return new CompactSign(Buffer.from(JSON.stringify(p)))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'intruder', typ: 'cw-audit-checkpoint' })
      .sign(await importJWK(key, 'EdDSA'))
  }
  mutate(p)
  return `${header}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${jws.split('.')[2]}`
}

const position = { start: 0, middle: 1, end: 2 } as const

for (const stack of STACKS) {
  describe(`tamper matrix in the database on ${stack.name}`, () => {
    let database: Awaited<ReturnType<Stack['openDatabase']>>
    let blobs: Awaited<ReturnType<Stack['openBlobStore']>>
    let trail: AuditTrail
    let db: Kysely<any>
    let key: Awaited<ReturnType<typeof signingJwk>>

    beforeAll(async () => {
      database = await stack.openDatabase()
      blobs = await stack.openBlobStore()
      key = await signingJwk()
      trail = await openTrail(database, { anchors: blobs, key })
      db = database.db
    })

    afterAll(async () => {
      await trail?.close()
      await blobs?.dispose()
      await database?.dispose()
    })

    const cases: (Damage & { apply: (tenant: string) => Promise<void> })[] = []
    const events = (t: string) => db.selectFrom('cw_audit_events').where('tenant_id', '=', t)
    const row = (t: string, seq: number) =>
      events(t).selectAll().where('seq', '=', seq).executeTakeFirstOrThrow()
    const setSeq = (t: string, from: number, to: number) =>
      db
        .updateTable('cw_audit_events')
        .set({ seq: to })
        .where('tenant_id', '=', t)
        .where('seq', '=', from)
        .execute()

    for (const [at, p] of [
      ['start', 1],
      ['middle', 15],
      ['end', 29],
    ] as const) {
      cases.push({
        kind: 'modified',
        at,
        expect: { kind: 'event-modified', seq: p },
        apply: async (t) => {
          const r = await row(t, p)
          await db
            .updateTable('cw_audit_events')
            .set({
              body: String(r.body).replace('"outcome":"success"', '"outcome":"failure"'),
              outcome: 'failure',
            })
            .where('tenant_id', '=', t)
            .where('seq', '=', p)
            .execute()
        },
      })
      cases.push({
        kind: 'deleted',
        at,
        expect: { kind: 'event-deleted', seq: p },
        apply: async (t) => {
          await db.deleteFrom('cw_audit_events').where('tenant_id', '=', t).where('seq', '=', p).execute()
        },
      })
      cases.push({
        kind: 'reordered',
        at,
        expect: { kind: 'event-reordered', seq: p },
        apply: async (t) => {
          await setSeq(t, p, -1)
          await setSeq(t, p + 1, p)
          await setSeq(t, -1, p + 1)
        },
      })
    }
    for (const [at, p] of [
      ['start', 1],
      ['middle', 15],
      ['end', EVENTS],
    ] as const) {
      cases.push({
        kind: 'inserted',
        at,
        expect: { kind: 'event-inserted', seq: p === EVENTS ? EVENTS + 1 : p },
        apply: async (t) => {
          // A forged event that links correctly to its predecessor; the rest move up one place.
          const prev = p === 1 ? '0'.repeat(64) : String((await row(t, p - 1)).hash)
          const base = await row(t, p === EVENTS ? EVENTS : p)
          const seq = p === EVENTS ? EVENTS + 1 : p
          const body = String(base.body)
            .replace(/"seq":\d+/, `"seq":${seq}`)
            .replace('"i":', '"forged":true,"i":')
          if (p !== EVENTS) for (let s = EVENTS; s >= p; s--) await setSeq(t, s, s + 1)
          await db
            .insertInto('cw_audit_events')
            .values({ ...base, seq, body, hash: chainHash(prev, body) })
            .execute()
        },
      })
    }
    for (const [at, keep] of [
      ['start', 1],
      ['middle', 15],
      ['end', 29],
    ] as const) {
      cases.push({
        kind: 'truncated',
        at,
        expect: { kind: 'events-truncated', seq: keep + 1 },
        apply: async (t) => {
          await db.deleteFrom('cw_audit_events').where('tenant_id', '=', t).where('seq', '>', keep).execute()
        },
      })
    }
    for (const at of ['start', 'middle', 'end'] as const) {
      const n = position[at] + 1
      const from = position[at] * 10 + 1
      const cp = (t: string) =>
        db
          .selectFrom('cw_audit_checkpoints')
          .selectAll()
          .where('tenant_id', '=', t)
          .where('n', '=', n)
          .executeTakeFirstOrThrow()
      cases.push({
        kind: 'checkpoint forged',
        at,
        expect: { kind: 'checkpoint-forged', seq: from },
        apply: async (t) => {
          const c = await cp(t)
          await db
            .updateTable('cw_audit_checkpoints')
            .set({ jws: await forgedJws(String(c.jws)) })
            .where('tenant_id', '=', t)
            .where('n', '=', n)
            .execute()
        },
      })
      cases.push({
        kind: 'checkpoint altered',
        at,
        expect: { kind: 'checkpoint-altered', seq: from },
        apply: async (t) => {
          const c = await cp(t)
          const jws = await forgedJws(String(c.jws), (p) => (p.merkleRoot = 'f'.repeat(64)))
          await db
            .updateTable('cw_audit_checkpoints')
            .set({ jws, merkle_root: 'f'.repeat(64) })
            .where('tenant_id', '=', t)
            .where('n', '=', n)
            .execute()
        },
      })
      cases.push({
        kind: 'checkpoint missing',
        at,
        expect: { kind: 'checkpoint-missing', seq: from },
        apply: async (t) => {
          await db.deleteFrom('cw_audit_checkpoints').where('tenant_id', '=', t).where('n', '=', n).execute()
        },
      })
    }

    // Every stored column of an event row that copies a field of its body, and the hash.
    const columnEdits: Record<string, (r: Record<string, any>) => unknown> = {
      id: () => '00000000-0000-7000-8000-000000000000',
      time: (r) => Number(r.time) + 1,
      actor_id: () => 'someone-else',
      actor_role: () => 'admin',
      action: () => 'blacklist.remove',
      target_type: () => 'recording',
      target_id: () => 'call-999',
      outcome: () => 'failure',
      hash: () => 'a'.repeat(64),
    }
    for (const [column, value] of Object.entries(columnEdits)) {
      for (const [at, p] of [
        ['middle', 15],
        ['end', EVENTS],
      ] as const) {
        cases.push({
          kind: `column ${column}`,
          at,
          expect: { kind: 'event-modified', seq: p },
          apply: async (t) => {
            await db
              .updateTable('cw_audit_events')
              .set({ [column]: value(await row(t, p)) })
              .where('tenant_id', '=', t)
              .where('seq', '=', p)
              .execute()
          },
        })
      }
    }
    cases.push({
      kind: 'column seq',
      at: 'end',
      expect: { kind: 'event-modified', seq: EVENTS },
      apply: (t) => setSeq(t, EVENTS, 1000).then(() => undefined),
    })
    // What is stored next to a checkpoint's JWS, beyond the columns checked already.
    const checkpointEdits: Record<string, (c: Record<string, any>) => unknown> = {
      kid: () => 'another-key',
      created_at: (c) => Number(c.created_at) - 1,
      anchor_key: (c) => String(c.anchor_key).replace('000000000002', '000000000003'),
      head_hash: () => 'b'.repeat(64),
      to_seq: (c) => Number(c.to_seq) - 1,
    }
    for (const [column, value] of Object.entries(checkpointEdits)) {
      cases.push({
        kind: `checkpoint column ${column}`,
        at: 'middle',
        expect: { kind: 'checkpoint-altered', seq: 11 },
        apply: async (t) => {
          const c = await db
            .selectFrom('cw_audit_checkpoints')
            .selectAll()
            .where('tenant_id', '=', t)
            .where('n', '=', 2)
            .executeTakeFirstOrThrow()
          expect(c.anchor_key).not.toBeNull()
          await db
            .updateTable('cw_audit_checkpoints')
            .set({ [column]: value(c) })
            .where('tenant_id', '=', t)
            .where('n', '=', 2)
            .execute()
        },
      })
    }

    it('an untouched chain verifies', async () => {
      for (let i = 0; i < EVENTS; i++) await trail.append(event('intact', i))
      await trail.checkpoint('intact', { force: true })
      expect(await trail.verify({ tenantId: 'intact' })).toMatchObject({ ok: true })
    })

    it.each(cases.map((c) => [`${c.kind} at ${c.at}`, c] as const))('detects %s', async (_name, c) => {
      const tenant = `t-${c.kind.replace(/ /g, '-')}-${c.at}`
      await Promise.all(Array.from({ length: EVENTS }, (_, i) => trail.append(event(tenant, i))))
      expect((await trail.checkpoint(tenant, { force: true })).created).toHaveLength(3)
      await c.apply(tenant)
      const report = await trail.verify({ tenantId: tenant })
      expect(report.ok).toBe(false)
      expect(report.firstBad).toEqual(c.expect)
    })

    // Rewrites that keep every link but the signed roots: a version 3 checkpoint's hash list
    // names the first rewritten event exactly.
    const rewrite = async (t: string, from: number, through: number) => {
      let prev = from === 1 ? '0'.repeat(64) : String((await row(t, from - 1)).hash)
      for (let s = from; s <= through; s++) {
        const r = await row(t, s)
        const body =
          s === from ? String(r.body).replace('"outcome":"success"', '"outcome":"failure"') : String(r.body)
        const hash = chainHash(prev, body)
        await db
          .updateTable('cw_audit_events')
          .set({ body, hash, ...(s === from ? { outcome: 'failure' } : {}) })
          .where('tenant_id', '=', t)
          .where('seq', '=', s)
          .execute()
        prev = hash
      }
      if (through === EVENTS) {
        await db.updateTable('cw_audit_heads').set({ last_hash: prev }).where('tenant_id', '=', t).execute()
      }
    }
    it.each([
      ['one event re-hashed', 15, 15],
      ['the chain re-hashed from an event to the end of its range', 15, 20],
      ['the chain re-hashed from an event to the head', 15, EVENTS],
      ['the chain re-hashed from the first event of a range', 11, EVENTS],
      ['the chain re-hashed from the last event of a range', 20, EVENTS],
      ['the chain re-hashed from the first event', 1, EVENTS],
    ] as const)('reports %s at that event', async (name, from, through) => {
      const tenant = `t-rewrite-${from}-${through}`
      await Promise.all(Array.from({ length: EVENTS }, (_, i) => trail.append(event(tenant, i))))
      await trail.checkpoint(tenant, { force: true })
      await rewrite(tenant, from, through)
      const report = await trail.verify({ tenantId: tenant })
      expect(report.ok, name).toBe(false)
      expect(report.firstBad).toEqual({ kind: 'event-modified', seq: from })
    })

    // The hash list next to checkpoint 2 (events 11..20), overwritten in the database.
    const alterList = async (t: string, f: (hashes: Buffer) => void) => {
      const r = await db
        .selectFrom('cw_audit_checkpoints')
        .select('hashes')
        .where('tenant_id', '=', t)
        .where('n', '=', 2)
        .executeTakeFirstOrThrow()
      const hashes = Buffer.from(r.hashes as Uint8Array)
      f(hashes)
      await db
        .updateTable('cw_audit_checkpoints')
        .set({ hashes })
        .where('tenant_id', '=', t)
        .where('n', '=', 2)
        .execute()
    }
    const storedHash = async (t: string, seq: number) => Buffer.from(String((await row(t, seq)).hash), 'hex')

    it('reports a hash list altered in the database alone as checkpoint tampering', async () => {
      const tenant = 't-list-altered'
      await Promise.all(Array.from({ length: EVENTS }, (_, i) => trail.append(event(tenant, i))))
      await trail.checkpoint(tenant, { force: true })
      await alterList(tenant, (h) => h.fill(0xab, 32 * 4, 32 * 5)) // the entry of event 15
      const report = await trail.verify({ tenantId: tenant })
      expect(report.ok).toBe(false)
      // The anchored copy has the signed digest: the altered entry is named.
      expect(report.firstBad).toEqual({ kind: 'checkpoint-altered', seq: 15 })
      expect(report.problems).toHaveLength(1)
    })

    it('names the rewritten event by the anchored list when the database list was rewritten to match', async () => {
      const tenant = 't-list-rewritten'
      await Promise.all(Array.from({ length: EVENTS }, (_, i) => trail.append(event(tenant, i))))
      await trail.checkpoint(tenant, { force: true })
      await rewrite(tenant, 17, EVENTS)
      const forged = await Promise.all([17, 18, 19, 20].map((s) => storedHash(tenant, s)))
      await alterList(tenant, (h) => forged.forEach((f, k) => f.copy(h, 32 * (6 + k))))
      const report = await trail.verify({ tenantId: tenant })
      expect(report.ok).toBe(false)
      expect(report.firstBad).toEqual({ kind: 'event-modified', seq: 17 })
      expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([
        ['event-modified', 17],
        ['checkpoint-altered', 17],
      ])
      // Without the anchored copy nothing trusted locates it inside the range, and the forged
      // list does not mislead: the range's start is reported.
      const bare = await openTrail(database, { key })
      try {
        const offline = await bare.verify({ tenantId: tenant })
        expect(offline.firstBad).toEqual({ kind: 'event-modified', seq: 11 })
        expect(offline.problems.map((p) => [p.kind, p.seq])).toEqual([
          ['event-modified', 11],
          ['checkpoint-altered', 11],
        ])
      } finally {
        await bare.close()
      }
    })

    it('reports a removed hash list as checkpoint tampering', async () => {
      const tenant = 't-list-removed'
      await Promise.all(Array.from({ length: EVENTS }, (_, i) => trail.append(event(tenant, i))))
      await trail.checkpoint(tenant, { force: true })
      await db
        .updateTable('cw_audit_checkpoints')
        .set({ hashes: null })
        .where('tenant_id', '=', tenant)
        .where('n', '=', 3)
        .execute()
      const report = await trail.verify({ tenantId: tenant })
      expect(report.firstBad).toEqual({ kind: 'checkpoint-altered', seq: 21 })
    })
  })
}

describe('tamper matrix on a bundle, offline', () => {
  let dir: string
  let clean: Map<string, string>
  let jwks: Awaited<ReturnType<AuditTrail['jwks']>>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-tamper-'))
    const stack = STACKS[0]!
    const database = await stack.openDatabase()
    const blobs = await stack.openBlobStore()
    const trail = await openTrail(database, { anchors: blobs })
    try {
      for (let i = 0; i < EVENTS; i++) await trail.append(event('bundled', i))
      await trail.checkpoint('bundled', { force: true })
      await (await trail.exportBundle({ tenantId: 'bundled' })).writeTo(join(dir, 'clean.zip')) // 31 events
      jwks = await trail.jwks()
    } finally {
      await trail.close()
      await blobs.dispose()
      await database.dispose()
    }
    clean = await readZip(join(dir, 'clean.zip'))
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const edit = (lines: string[], f: (l: string[]) => void) => {
    const copy = [...lines]
    f(copy)
    return copy
  }
  const cases: {
    name: string
    expect: { kind: string; seq: number }
    events?: (l: string[]) => string[]
    checkpoints?: (l: string[]) => Promise<string[]>
    manifest?: (m: Record<string, unknown>) => void
  }[] = []
  for (const [at, p] of [
    ['start', 1],
    ['middle', 15],
    ['end', 30],
  ] as const) {
    const i = p - 1
    cases.push({
      name: `modified at ${at}`,
      expect: { kind: 'event-modified', seq: p },
      events: (l) => edit(l, (c) => (c[i] = c[i]!.replace('"outcome":"success"', '"outcome":"failure"'))),
    })
    cases.push({
      name: `deleted at ${at}`,
      expect: { kind: 'event-deleted', seq: p },
      events: (l) => edit(l, (c) => c.splice(i, 1)),
    })
    cases.push({
      name: `inserted at ${at}`,
      expect: { kind: 'event-inserted', seq: p },
      events: (l) => edit(l, (c) => c.splice(i + 1, 0, c[i]!)),
    })
    cases.push({
      name: `reordered at ${at}`,
      expect: { kind: 'event-reordered', seq: p },
      events: (l) => edit(l, (c) => ([c[i], c[i + 1]] = [c[i + 1]!, c[i]!])),
    })
    cases.push({
      name: `truncated at ${at}`,
      expect: { kind: 'events-truncated', seq: p + 1 },
      events: (l) => l.slice(0, p),
    })
  }
  for (const [at, n] of [
    ['start', 1],
    ['middle', 2],
    ['end', 3],
  ] as const) {
    const from = (n - 1) * 10 + 1
    const jwsOf = (l: string) => JSON.parse(l).jws as string
    const put = (l: string, jws: string) => JSON.stringify({ ...JSON.parse(l), jws })
    cases.push({
      name: `checkpoint forged at ${at}`,
      expect: { kind: 'checkpoint-forged', seq: from },
      checkpoints: async (l) => {
        const c = [...l]
        c[n - 1] = put(c[n - 1]!, await forgedJws(jwsOf(c[n - 1]!)))
        return c
      },
    })
    cases.push({
      name: `checkpoint altered at ${at}`,
      expect: { kind: 'checkpoint-altered', seq: from },
      checkpoints: async (l) => {
        const c = [...l]
        c[n - 1] = put(c[n - 1]!, await forgedJws(jwsOf(c[n - 1]!), (p) => (p.toSeq = Number(p.toSeq) - 1)))
        return c
      },
    })
    cases.push({
      name: `checkpoint missing at ${at}`,
      expect: { kind: 'checkpoint-missing', seq: from },
      checkpoints: async (l) => l.filter((_, k) => k !== n - 1),
    })
  }

  // Copies of signed data stored unsigned in the bundle: each is checked against what was signed.
  const hashAt = (l: string) => (JSON.parse(l) as { hash: string }).hash
  cases.push({
    name: 'hash overwritten at middle',
    expect: { kind: 'event-modified', seq: 15 },
    events: (l) => edit(l, (c) => (c[14] = c[14]!.replace(hashAt(c[14]!), 'a'.repeat(64)))),
  })
  for (const [field, value] of [
    ['toSeq', 1000],
    ['tenantId', 'other'],
    ['purgedThroughSeq', 5],
  ] as const) {
    cases.push({
      name: `manifest.json ${field} altered`,
      expect: { kind: 'manifest-altered', seq: 1 },
      manifest: (m) => (m[field] = value),
    })
  }
  const checkpointField = (n: number, f: (c: Record<string, unknown>) => void) => async (l: string[]) =>
    edit(l, (c) => {
      const line = JSON.parse(c[n - 1]!) as Record<string, unknown>
      f(line)
      c[n - 1] = JSON.stringify(line)
    })
  cases.push({
    name: 'checkpoint n listed wrong',
    expect: { kind: 'checkpoint-altered', seq: 11 },
    checkpoints: checkpointField(2, (c) => (c.n = 3)),
  })
  cases.push({
    name: 'checkpoint anchorKey listed wrong',
    expect: { kind: 'checkpoint-altered', seq: 11 },
    checkpoints: checkpointField(2, (c) => {
      expect(c.anchorKey).toEqual(expect.stringContaining('000000000002'))
      c.anchorKey = String(c.anchorKey).replace('000000000002', '000000000003')
    }),
  })

  it('the clean bundle verifies', async () => {
    expect(await verifyBundle(join(dir, 'clean.zip'), { jwks })).toMatchObject({
      ok: true,
      eventsChecked: EVENTS + 1,
    })
  })

  it.each(cases.map((c) => [c.name, c] as const))('detects %s', async (name, c) => {
    const entries = new Map(clean)
    const lines = (name: string) =>
      entries
        .get(name)!
        .split('\n')
        .filter((x) => x.length > 0)
    if (c.events) entries.set('events.jsonl', c.events(lines('events.jsonl')).join('\n') + '\n')
    if (c.checkpoints)
      entries.set('checkpoints.jsonl', (await c.checkpoints(lines('checkpoints.jsonl'))).join('\n') + '\n')
    if (c.manifest) {
      const m = JSON.parse(entries.get('manifest.json')!) as Record<string, unknown>
      c.manifest(m)
      entries.set('manifest.json', JSON.stringify(m, null, 2))
    }
    const file = join(dir, `${name.replace(/ /g, '-')}.zip`)
    await writeZip(file, entries)
    const report = await verifyBundle(file, { jwks })
    expect(report.ok).toBe(false)
    expect(report.firstBad).toEqual(c.expect)
  })

  // Events from `from` on re-hashed after `from` was changed, as lines of events.jsonl.
  const rehashed = (from: number) => {
    const l = clean
      .get('events.jsonl')!
      .split('\n')
      .filter((x) => x.length > 0)
    let prev = from === 1 ? '0'.repeat(64) : hashAt(l[from - 2]!)
    for (let i = from - 1; i < l.length; i++) {
      const { event: e } = JSON.parse(l[i]!) as { event: Record<string, unknown> }
      const canonical = l[i]!.slice('{"event":'.length, l[i]!.length - ',"hash":"'.length - 66)
      const body =
        i === from - 1 ? canonical.replace('"outcome":"success"', '"outcome":"failure"') : canonical
      expect(JSON.parse(canonical)).toEqual(e)
      prev = chainHash(prev, body)
      l[i] = `{"event":${body},"hash":"${prev}"}`
    }
    return l
  }
  const verifyEntries = async (name: string, entries: Map<string, string>) => {
    const file = join(dir, `${name}.zip`)
    await writeZip(file, entries)
    return verifyBundle(file, { jwks })
  }

  it.each([1, 11, 15, 20, 30])(
    'names the first event of a chain re-hashed from event %i on',
    async (from) => {
      const entries = new Map(clean)
      entries.set('events.jsonl', rehashed(from).join('\n') + '\n')
      const report = await verifyEntries(`rehashed-${from}`, entries)
      expect(report.ok).toBe(false)
      expect(report.firstBad).toEqual({ kind: 'event-modified', seq: from })
    },
  )

  // checkpoint-hashes.jsonl: one line per checkpoint here (10 hashes each), in order.
  const listLines = () =>
    clean
      .get('checkpoint-hashes.jsonl')!
      .split('\n')
      .filter((x) => x.length > 0)

  it('holds the hash lists of its version 3 checkpoints', () => {
    expect(listLines().map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([1, 2, 3])
  })

  it('reports an altered hash list, and is not misled by it', async () => {
    const events = rehashed(15)
    const forged = events.slice(14, 20).map(hashAt).join('')
    const lines = listLines()
    const line = JSON.parse(lines[1]!) as { hashes: string; n: number }
    lines[1] = JSON.stringify({ hashes: line.hashes.slice(0, 64 * 4) + forged, n: line.n })
    const entries = new Map(clean)
    entries.set('checkpoint-hashes.jsonl', lines.join('\n') + '\n')
    const listOnly = await verifyEntries('list-altered', entries)
    expect(listOnly.firstBad).toEqual({ kind: 'checkpoint-altered', seq: 11 })
    entries.set('events.jsonl', events.join('\n') + '\n')
    const both = await verifyEntries('list-and-events-altered', entries)
    // No trusted copy locates it inside the range: the range start is reported, not a seq
    // the forged list would give.
    expect(both.firstBad).toEqual({ kind: 'event-modified', seq: 11 })
    expect(both.problems.map((p) => [p.kind, p.seq])).toEqual([
      ['event-modified', 11],
      ['checkpoint-altered', 11],
    ])
  })

  it('reports a missing hash list', async () => {
    const entries = new Map(clean)
    entries.set('checkpoint-hashes.jsonl', listLines().slice(0, 2).join('\n') + '\n')
    expect((await verifyEntries('list-missing', entries)).firstBad).toEqual({
      kind: 'checkpoint-altered',
      seq: 21,
    })
  })

  it.each([
    ['not hex', '{"hashes":"xyz","n":1}\n'],
    ['longer than a bundle line may be', `{"hashes":"${'ab'.repeat(40_000)}","n":1}\n`],
  ])('refuses a hash list line %s', async (name, text) => {
    const entries = new Map(clean)
    entries.set('checkpoint-hashes.jsonl', text)
    await expect(verifyEntries(`list-${name.replace(/ /g, '-')}`, entries)).rejects.toMatchObject({
      code: 'ERR_AUDIT_BUNDLE_INVALID',
    })
  })
})
