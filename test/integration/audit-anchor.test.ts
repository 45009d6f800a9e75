/**
 * Checkpoint anchors on radosgw: in an Object Lock bucket the anchor is stored in
 * COMPLIANCE mode and cannot be deleted; in a bucket without Object Lock it is stored
 * unlocked and recorded as such.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3BlobStore } from '../../src/blob/s3-blob-store.js'
import { AuditTrail } from '../../src/audit/audit-trail.js'
import { LeaseManager } from '../../src/store/lease-manager.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { freshMysqlDatabase, s3Settings } from './services.js'
import { event, signingJwk } from './audit-helpers.js'

describe('audit checkpoint anchors on radosgw', () => {
  let fresh: Awaited<ReturnType<typeof freshMysqlDatabase>>
  let database: Database
  const stores: S3BlobStore[] = []

  const store = (bucket: string) => {
    const s3 = s3Settings()
    const s = new S3BlobStore({
      bucket,
      prefix: `anchor-test-${randomBytes(4).toString('hex')}/`,
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: s3.credentials,
    })
    stores.push(s)
    return s
  }

  const trail = async (anchors: S3BlobStore) =>
    new AuditTrail({
      db: database.db,
      dialect: database.dialect,
      leases: new LeaseManager(database.db, { owner: `anchor-${randomBytes(3).toString('hex')}` }),
      anchors,
      // Lower-level tests of the trail: every tenant id counts as registered.
      isRegistered: () => true,
      keys: { signingKey: await signingJwk() },
      anchor: { lockMode: 'COMPLIANCE', retentionDays: 1 },
    })

  beforeAll(async () => {
    fresh = await freshMysqlDatabase()
    database = openDatabase(fresh.url, { poolSize: 2 })
    await migrate(database, { referenceSchema: false })
  })

  afterAll(async () => {
    for (const s of stores) await s.close()
    await database?.close()
    await fresh?.drop()
  })

  it('stores the anchor under COMPLIANCE retention in an Object Lock bucket; it cannot be deleted', async () => {
    const anchors = store(s3Settings().lockedBucket)
    const audit = await trail(anchors)
    for (let i = 0; i < 5; i++) await audit.append(event('locked', i))
    const run = await audit.checkpoint('locked', { force: true })
    expect(run).toMatchObject({ status: 'checkpointed', anchored: 1 })
    const [checkpoint] = await audit.checkpoints('locked')
    expect(checkpoint!.anchorKey).toBe('audit/locked/checkpoints/000000000001.jws')
    expect(checkpoint!.anchorLockedUntil).toBeDefined()
    await expect(anchors.deleteAllVersions(checkpoint!.anchorKey!)).rejects.toMatchObject({
      code: 'ERR_BLOB_DELETE_REFUSED',
    })
    expect(await anchors.head(checkpoint!.anchorKey!)).toBeDefined()
    // Removing the checkpoint from the database does not hide it: the anchor is still there.
    await database.db.deleteFrom('cw_audit_checkpoints').where('tenant_id', '=', 'locked').execute()
    const report = await audit.verify({ tenantId: 'locked' })
    expect(report.firstBad).toEqual({ seq: 1, kind: 'checkpoint-missing' })
  })

  it('stores the anchor unlocked, and says so, where the bucket has no Object Lock', async () => {
    const anchors = store(s3Settings().bucket)
    const audit = await trail(anchors)
    await audit.append(event('plain', 1))
    expect(await audit.checkpoint('plain', { force: true })).toMatchObject({
      status: 'checkpointed',
      anchored: 1,
    })
    const [checkpoint] = await audit.checkpoints('plain')
    expect(checkpoint!.anchorLockedUntil).toBeUndefined()
    await anchors.deleteAllVersions(checkpoint!.anchorKey!)
  })
})
