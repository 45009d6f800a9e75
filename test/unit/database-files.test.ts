/**
 * The embedded database holds personal data: a file callwarden creates, and SQLite's WAL
 * and shared-memory files beside it, are readable by their owner only.
 */
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.js'

describe('SQLite database files', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-db-files-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const mode = async (path: string) => (await stat(path)).mode & 0o777

  it('creates the database, its WAL and shm files 0600 and new folders 0700', async () => {
    const path = join(dir, 'state', 'cw.db')
    const database = openDatabase(`sqlite:${path}`)
    try {
      await database.db.schema.createTable('t').addColumn('x', 'integer').execute()
      await database.db.insertInto('t').values({ x: 1 }).execute()
      expect(await mode(join(dir, 'state'))).toBe(0o700)
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(await mode(file)).toBe(0o600)
    } finally {
      await database.close()
    }
  })

  it('leaves an existing database file as it is', async () => {
    const path = join(dir, 'existing.db')
    await writeFile(path, '')
    await chmod(path, 0o640)
    const database = openDatabase(`sqlite:${path}`)
    try {
      await database.db.schema.createTable('t').addColumn('x', 'integer').execute()
      expect(await mode(path)).toBe(0o640)
    } finally {
      await database.close()
    }
  })
})
