/**
 * The two storage stacks the contract suites run on: the embedded default (SQLite file +
 * filesystem objects) and the production stack (MariaDB + Ceph radosgw). Like kysely's
 * `for (const dialect of DIALECTS)`, each contract test file loops over both.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { FsBlobStore } from '../../src/blob/fs-blob-store.js'
import { S3BlobStore } from '../../src/blob/s3-blob-store.js'
import type { BlobStore } from '../../src/blob/blob-store.js'
import type { Clock } from '../../src/clock.js'
import type { CallwardenConfigInput } from '../../src/config.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { freshMysqlDatabase, s3Settings } from './services.js'

export interface Stack {
  readonly name: string
  /** Opens a fresh, empty database for one test file. */
  openDatabase(): Promise<Database & { dispose(): Promise<void> }>
  /** Opens an object store under a fresh prefix (S3: in the plain test bucket). */
  openBlobStore(options?: {
    clock?: Clock
    bucket?: 'plain' | 'versioned'
  }): Promise<BlobStore & { dispose(): Promise<void> }>
}

export const STACKS: readonly Stack[] = [
  {
    name: 'sqlite+filesystem',
    async openDatabase() {
      const dir = await mkdtemp(join(tmpdir(), 'cw-db-'))
      const database = openDatabase(`sqlite:${join(dir, 'test.db')}`)
      return Object.assign(database, {
        async dispose() {
          await database.close()
          await rm(dir, { recursive: true, force: true })
        },
      })
    },
    async openBlobStore(options = {}) {
      const dir = await mkdtemp(join(tmpdir(), 'cw-blobs-'))
      const store = new FsBlobStore({
        root: dir,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      })
      return Object.assign(store, {
        async dispose() {
          await rm(dir, { recursive: true, force: true })
        },
      })
    },
  },
  {
    name: 'mariadb+radosgw',
    async openDatabase() {
      const fresh = await freshMysqlDatabase()
      const database = openDatabase(fresh.url, { poolSize: 4 })
      return Object.assign(database, {
        async dispose() {
          await database.close()
          await fresh.drop()
        },
      })
    },
    async openBlobStore(options = {}) {
      const s3 = s3Settings()
      const bucket = options.bucket === 'versioned' ? s3.versionedBucket : s3.bucket
      const prefix = `test-${randomBytes(4).toString('hex')}/`
      const store = new S3BlobStore({
        bucket,
        prefix,
        endpoint: s3.endpoint,
        region: s3.region,
        credentials: s3.credentials,
      })
      return Object.assign(store, {
        async dispose() {
          for (;;) {
            const page = await store.list('', { limit: 1000 })
            for (const item of page.items) await store.deleteAllVersions(item.key)
            if (page.cursor === undefined) break
          }
          await store.close()
        },
      })
    },
  },
]

/** One stack as `createCallwarden()` configuration, for tests of the assembled library. */
export interface CallwardenStack {
  readonly name: string
  /**
   * A fresh database and object-store prefix; SQLite files, the audit signing key and the IVR
   * hash secret go under `dir`, and logging is silent. A test that sets `audit` or `masking`
   * itself gives those files again.
   */
  open(dir: string): Promise<{ config: CallwardenConfigInput; dispose(): Promise<void> }>
}

/** What every stack's configuration shares: files under the test's folder, no log output. */
function localFiles(dir: string): CallwardenConfigInput {
  return {
    log: { level: 'silent' },
    audit: { signingKeyFile: join(dir, 'audit-key.json') },
    masking: { ivrHashSecretFile: join(dir, 'ivr-hash-secret') },
  }
}

export const CALLWARDEN_STACKS: readonly CallwardenStack[] = [
  {
    name: 'sqlite+filesystem',
    open: async (dir) => ({
      config: {
        ...localFiles(dir),
        databaseUrl: `sqlite:${join(dir, 'cw.db')}`,
        blobUrl: `file:${join(dir, 'blobs')}`,
      },
      dispose: async () => undefined,
    }),
  },
  {
    name: 'mariadb+radosgw',
    open: async (dir) => {
      const fresh = await freshMysqlDatabase()
      const s3 = s3Settings()
      const prefix = `cw-${randomBytes(4).toString('hex')}`
      return {
        config: {
          ...localFiles(dir),
          databaseUrl: fresh.url,
          blobUrl: `s3://${s3.bucket}/${prefix}?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`,
          s3Credentials: s3.credentials,
        },
        dispose: fresh.drop,
      }
    },
  },
]
