/**
 * Driver errors of the "cannot serve this now" class become one coded StorageUnavailable;
 * the retry helper runs again only the conflicts a new transaction can resolve.
 */
import { describe, expect, it, vi } from 'vitest'
import { StorageUnavailable } from '../../src/errors.js'
import { isTransientLockError, retryOnLockConflict } from '../../src/store/dialect-helpers.js'
import { storageFailure } from '../../src/store/storage-errors.js'
import { openDatabase } from '../../src/store/database.js'

const driverError = (code: string) =>
  Object.assign(new Error(`driver says ${code} about +8613988888888`), { code })

describe('storageFailure', () => {
  it.each([
    ['SQLITE_BUSY', 'busy', false],
    ['SQLITE_BUSY_SNAPSHOT', 'busy', true],
    ['SQLITE_LOCKED_SHAREDCACHE', 'busy', false],
    ['SQLITE_CANTOPEN', 'unusable', false],
    ['SQLITE_READONLY_DBMOVED', 'unusable', false],
    ['SQLITE_IOERR_WRITE', 'unusable', false],
    ['ER_LOCK_WAIT_TIMEOUT', 'lock-wait', true],
    ['ER_LOCK_DEADLOCK', 'deadlock', true],
    ['ECONNREFUSED', 'unreachable', false],
    ['PROTOCOL_CONNECTION_LOST', 'unreachable', false],
    ['ER_ACCESS_DENIED_ERROR', 'unreachable', false],
  ] as const)('classifies %s as %s (retriable: %s)', (code, reason, retriable) => {
    const failure = storageFailure(driverError(code), 'mysql://cw@db:3306/cw')
    expect(failure).toBeInstanceOf(StorageUnavailable)
    expect(failure).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE', reason, retriable, driverCode: code })
    // The driver's message may quote values; it is kept as the cause only.
    expect(failure?.message).not.toContain('8613988888888')
    expect(isTransientLockError(failure)).toBe(retriable)
  })

  it.each(['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE', 'ER_PARSE_ERROR', 'SQLITE_ERROR', 'ERR_TENANT_SCOPE'])(
    'leaves %s as it is',
    (code) => {
      expect(storageFailure(driverError(code), 'sqlite:x.db')).toBeUndefined()
    },
  )
  it('leaves errors without a code as they are', () => {
    expect(storageFailure(new TypeError('x'), 'sqlite:x.db')).toBeUndefined()
    expect(storageFailure(null, 'sqlite:x.db')).toBeUndefined()
  })
})

describe('retryOnLockConflict', () => {
  it('runs a deadlock victim again', async () => {
    const fn = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(storageFailure(driverError('ER_LOCK_DEADLOCK'), 'db'))
      .mockResolvedValueOnce('done')
    expect(await retryOnLockConflict(fn, 3)).toBe('done')
    expect(fn).toHaveBeenCalledTimes(2)
  })

  it('does not wait the busy timeout again for a database still busy after it', async () => {
    const busy = storageFailure(driverError('SQLITE_BUSY'), 'sqlite:x.db')
    const fn = vi.fn<() => Promise<string>>().mockRejectedValue(busy)
    await expect(retryOnLockConflict(fn, 8)).rejects.toMatchObject({
      code: 'ERR_STORAGE_UNAVAILABLE',
      reason: 'busy',
    })
    expect(fn).toHaveBeenCalledTimes(1)
  })
})

describe('openDatabase', () => {
  it('refuses an unusable SQLite path with ERR_STORAGE_UNAVAILABLE', () => {
    // A folder cannot be made under a file, and a directory is not a database file.
    expect(() => openDatabase(`sqlite:${import.meta.filename}/sub/db.sqlite`)).toThrow(
      expect.objectContaining({ code: 'ERR_STORAGE_UNAVAILABLE' }),
    )
    expect(() => openDatabase(`sqlite:${import.meta.dirname}`)).toThrow(
      expect.objectContaining({ code: 'ERR_STORAGE_UNAVAILABLE' }),
    )
  })

  it('takes a URL string', () => {
    expect(() => openDatabase(undefined as never)).toThrow(TypeError)
    expect(() => openDatabase('sqlite::memory:', null as never)).toThrow(TypeError)
  })

  it('reports an unreachable MySQL server as ERR_STORAGE_UNAVAILABLE without the password', async () => {
    const database = openDatabase('mysql://cw:s3cret-pass@127.0.0.1:1/cw', { poolSize: 1 })
    try {
      const failed = await database.db
        .selectFrom('cw_tenants')
        .selectAll()
        .execute()
        .catch((error: unknown) => error)
      expect(failed).toMatchObject({
        code: 'ERR_STORAGE_UNAVAILABLE',
        reason: 'unreachable',
        driverCode: 'ECONNREFUSED',
      })
      expect(String((failed as Error).message)).not.toContain('s3cret-pass')
    } finally {
      await database.close()
    }
  })
})
