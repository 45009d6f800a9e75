/**
 * Hostile bundles: every reader of bundle content is bounded (line length, entry sizes,
 * entry count, JSON depth) and answers `ERR_AUDIT_BUNDLE_INVALID` instead of working for
 * seconds or holding the file in memory; a genuine bundle with the largest event allowed
 * still verifies.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_BUNDLE_LINE_BYTES, readBundle, verifyBundle } from '../../src/audit/audit-bundle.js'
import type { AuditTrail } from '../../src/audit/audit-trail.js'
import { MAX_DETAILS_CHARS } from '../../src/audit/validate-audit-event.js'
import { STACKS } from './stacks.js'
import { event, openTrail, readZip, writeZip } from './audit-helpers.js'

describe('bundle readers are bounded', () => {
  let dir: string
  let clean: Map<string, string>
  let jwks: Awaited<ReturnType<AuditTrail['jwks']>>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-bundle-limits-'))
    const database = await STACKS[0]!.openDatabase()
    const trail = await openTrail(database)
    try {
      for (let i = 0; i < 5; i++) await trail.append(event('limits', i))
      // The largest event details allowed, in 3-byte UTF-8 characters (less the JSON around it).
      await trail.append(event('limits', 5, { details: { note: '号'.repeat(MAX_DETAILS_CHARS - 20) } }))
      await trail.checkpoint('limits', { force: true })
      await (await trail.exportBundle({ tenantId: 'limits' })).writeTo(join(dir, 'clean.zip'))
      jwks = await trail.jwks()
    } finally {
      await trail.close()
      await database.dispose()
    }
    clean = await readZip(join(dir, 'clean.zip'))
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const write = async (name: string, change: (entries: Map<string, string>) => void) => {
    const entries = new Map(clean)
    change(entries)
    const file = join(dir, `${name}.zip`)
    await writeZip(file, entries)
    return file
  }

  it('a bundle holding the largest event allowed verifies', async () => {
    const longest = Math.max(
      ...clean
        .get('events.jsonl')!
        .split('\n')
        .map((l) => Buffer.byteLength(l)),
    )
    expect(longest).toBeGreaterThan(3 * (MAX_DETAILS_CHARS - 20))
    expect(longest).toBeLessThanOrEqual(MAX_BUNDLE_LINE_BYTES)
    expect(await verifyBundle(join(dir, 'clean.zip'), { jwks })).toMatchObject({ ok: true })
  })

  it('refuses one 32 MiB line, reading no more than the line limit of it', async () => {
    const file = await write('long-line', (e) => {
      e.set('events.jsonl', `{"event":{"a":"${'x'.repeat(32 * 1024 * 1024)}"},"hash":"${'0'.repeat(64)}"}\n`)
    })
    await expect(verifyBundle(file, { jwks })).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
    await expect(readBundle(file)).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
  })

  it('refuses a line just over the limit, in events and in checkpoints', async () => {
    const over = `{"event":{"a":"${'x'.repeat(MAX_BUNDLE_LINE_BYTES)}"},"hash":"${'0'.repeat(64)}"}`
    const events = await write('over-events', (e) =>
      e.set('events.jsonl', `${e.get('events.jsonl')}${over}\n`),
    )
    await expect(verifyBundle(events, { jwks })).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
    const checkpoints = await write('over-checkpoints', (e) =>
      e.set('checkpoints.jsonl', `${JSON.stringify({ jws: 'x'.repeat(MAX_BUNDLE_LINE_BYTES), n: 9 })}\n`),
    )
    await expect(verifyBundle(checkpoints, { jwks })).rejects.toMatchObject({
      code: 'ERR_AUDIT_BUNDLE_INVALID',
    })
  })

  it('refuses a bundle larger than maxBytes before reading its events', async () => {
    const file = join(dir, 'clean.zip')
    await expect(verifyBundle(file, { jwks, maxBytes: 4096 })).rejects.toMatchObject({
      code: 'ERR_AUDIT_BUNDLE_INVALID',
    })
    // A small entry may not be large either, whatever maxBytes allows.
    const big = await write('big-manifest', (e) =>
      e.set(
        'manifest.json',
        JSON.stringify({ ...JSON.parse(e.get('manifest.json')!), pad: 'x'.repeat(2 << 20) }),
      ),
    )
    await expect(verifyBundle(big, { jwks })).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
  })

  it('refuses too many entries and a repeated entry', async () => {
    const many = await write('many-entries', (e) => {
      for (let i = 0; i < 100; i++) e.set(`extra-${i}.txt`, 'x')
    })
    await expect(verifyBundle(many, { jwks })).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
    const twice = join(dir, 'twice.zip')
    await writeZip(twice, new Map(clean), [['events.jsonl', clean.get('events.jsonl')!]])
    await expect(verifyBundle(twice, { jwks })).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
  })

  it('refuses JSON nested too deep', async () => {
    const deep = await write('deep-jwks', (e) =>
      e.set('jwks.json', `${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    )
    await expect(verifyBundle(deep, { jwks })).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
    const line = await write('deep-checkpoint', (e) =>
      e.set('checkpoints.jsonl', `{"jws":"x","n":1,"a":${'['.repeat(1000)}${']'.repeat(1000)}}\n`),
    )
    await expect(verifyBundle(line, { jwks })).rejects.toMatchObject({ code: 'ERR_AUDIT_BUNDLE_INVALID' })
  })
})
