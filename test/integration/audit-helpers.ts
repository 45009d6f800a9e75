/**
 * Shared set-up for the audit integration tests: an AuditTrail over one stack's database
 * and object store, a fresh in-memory signing key, and bundle rewriting for tamper tests.
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import yauzl from 'yauzl'
import yazl from 'yazl'
import type { BlobStore } from '../../src/blob/blob-store.js'
import type { Clock } from '../../src/clock.js'
import { AuditTrail } from '../../src/audit/audit-trail.js'
import type { AuditEventInput } from '../../src/audit/audit-event.js'
import type { AuditTenantCheck } from '../../src/audit/audit-log.js'
import type { Database } from '../../src/store/database.js'
import { LeaseManager } from '../../src/store/lease-manager.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { TenantGuardPlugin } from '../../src/store/tenant-guard-plugin.js'
import { AUDIT_TENANT_TABLE_RULES } from '../../src/audit/audit-tables.js'

export async function signingJwk(kid = `k-${randomBytes(3).toString('hex')}`): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return { ...(await exportJWK(privateKey)), kid }
}

export async function openTrail(
  database: Database,
  options: {
    anchors?: BlobStore
    key?: JWK
    everyEvents?: number
    clock?: Clock
    lockIfSupported?: boolean
    /** @defaultValue every tenant id counts as registered (these tests need no tenant registry) */
    isRegistered?: AuditTenantCheck
  } = {},
): Promise<AuditTrail> {
  await migrate(database, { referenceSchema: false })
  const db = database.db.withPlugin(new TenantGuardPlugin({ rules: AUDIT_TENANT_TABLE_RULES }))
  return new AuditTrail({
    db,
    dialect: database.dialect,
    leases: new LeaseManager(db, { owner: `test-${randomBytes(3).toString('hex')}` }),
    isRegistered: options.isRegistered ?? (() => true),
    ...(options.anchors === undefined ? {} : { anchors: options.anchors }),
    keys: { signingKey: options.key ?? (await signingJwk()) },
    checkpoint: { everyEvents: options.everyEvents ?? 10, intervalSeconds: 3600 },
    anchor: { lockMode: 'off' },
    redactFields: ['caller', 'callee'],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
}

export function event(tenantId: string, i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    tenantId,
    actor: { id: `agent-${i % 7}`, role: 'agent', sourceAddress: '10.0.0.1' },
    action: i % 3 === 0 ? 'recording.play' : 'agent.status.change',
    target: { type: 'call', id: `call-${i}` },
    outcome: 'success',
    details: { i },
    ...extra,
  }
}

/** Reads every entry of a zip into memory. */
export async function readZip(path: string): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true }, (e, f) => (e ? reject(e) : resolve(f))),
  )
  const out = new Map<string, string>()
  await new Promise<void>((resolve, reject) => {
    zip.on('end', resolve)
    zip.on('error', reject)
    zip.on('entry', (entry: yauzl.Entry) =>
      zip.openReadStream(entry, (e, s) => {
        if (e) return reject(e)
        const chunks: Buffer[] = []
        s.on('data', (c: Buffer) => chunks.push(c))
        s.on('end', () => {
          out.set(entry.fileName, Buffer.concat(chunks).toString('utf8'))
          zip.readEntry()
        })
      }),
    )
    zip.readEntry()
  })
  zip.close()
  return out
}

/** Writes entries as a zip; `extra` entries follow, and may repeat a name. */
export async function writeZip(
  path: string,
  entries: Map<string, string>,
  extra: readonly (readonly [string, string])[] = [],
): Promise<void> {
  const zip = new yazl.ZipFile()
  for (const [name, text] of [...entries, ...extra]) zip.addBuffer(Buffer.from(text), name)
  zip.end()
  await pipeline(zip.outputStream, createWriteStream(path))
}
