import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_BLOB_URL, DEFAULT_DATABASE_URL, loadConfig, parseConfig } from '../../src/config.js'
import { ConfigInvalid } from '../../src/errors.js'

const empty = () => mkdtempSync(join(tmpdir(), 'cw-config-'))

describe('configuration', () => {
  it('defaults to the embedded stack', () => {
    const config = loadConfig({ env: {}, cwd: empty() })
    expect(config).toMatchObject({
      databaseUrl: DEFAULT_DATABASE_URL,
      blobUrl: DEFAULT_BLOB_URL,
      referenceSchema: true,
      validateDataMap: true,
      log: { level: 'info' },
      datasets: [],
    })
  })

  it('reads the file, then the environment, then overrides', () => {
    const dir = empty()
    writeFileSync(
      join(dir, 'callwarden.config.json'),
      JSON.stringify({ databaseUrl: 'sqlite:./from-file.db', blobUrl: 'file:./from-file', poolSize: 3 }),
    )
    const config = loadConfig({
      cwd: dir,
      env: {
        CALLWARDEN_DATABASE_URL: 'mysql://cw:pw@127.0.0.1:3306/cw',
        AWS_ACCESS_KEY_ID: 'AK',
        AWS_SECRET_ACCESS_KEY: 'SK',
        CALLWARDEN_LOG_LEVEL: 'warn',
      },
      overrides: { poolSize: 7 },
    })
    expect(config).toMatchObject({
      databaseUrl: 'mysql://cw:pw@127.0.0.1:3306/cw',
      blobUrl: 'file:./from-file',
      poolSize: 7,
      log: { level: 'warn' },
      s3Credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
    })
  })

  it('reads a named file and fails clearly when it is missing or not JSON', () => {
    const dir = empty()
    writeFileSync(join(dir, 'other.json'), '{ not json')
    expect(() => loadConfig({ cwd: dir, env: {}, file: 'other.json' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    )
    expect(() => loadConfig({ cwd: dir, env: {}, file: 'missing.json' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    )
  })

  it('names every bad field and what is allowed', () => {
    let error: unknown
    try {
      parseConfig({
        databaseUrl: 'postgres://x/y',
        blobUrl: 'ftp://nowhere',
        poolSize: 0,
        log: { level: 'loud' },
        colour: 'blue',
        datasets: [{ name: 'x', table: 't', primaryKey: 'id', timeColumn: 'at', category: 'gossip' }],
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigInvalid)
    const { fields, code, message } = error as ConfigInvalid
    expect(code).toBe('ERR_CONFIG_INVALID')
    const paths = fields.map((f) => f.path)
    expect(paths).toEqual(
      expect.arrayContaining(['databaseUrl', 'blobUrl', 'poolSize', 'log.level', '', 'datasets.0.category']),
    )
    expect(message).toContain('allowed: sqlite:./path.db')
    expect(message).toContain('unknown field(s) colour')
    expect(message).toMatch(/log\.level: .*allowed: "fatal"/)
  })
})
