/**
 * Files that may hold personal data or secrets: created 0600 (directories 0700), replaced
 * atomically, 0600 even over an existing 0644 file, nothing partial left when a write fails;
 * and every writer of such files goes through the one helper.
 */
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsBlobStore } from '../../src/blob/fs-blob-store.js'
import { loadIvrHashSecret } from '../../src/masking/ivr-hash-secret.js'
import { AuditKeys } from '../../src/audit/audit-keys.js'
import { writePrivateFile, writePrivateFileSync } from '../../src/lib/private-file.js'

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('writePrivateFile', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-private-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  for (const [name, write] of [
    ['async', (path: string, text: string) => writePrivateFile(path, text)],
    ['sync', async (path: string, text: string) => writePrivateFileSync(path, text)],
  ] as const) {
    it(`${name}: creates 0600 and replaces an existing 0644 file by a 0600 one`, async () => {
      const fresh = join(dir, 'fresh.csv')
      await write(fresh, 'a\n')
      expect(await mode(fresh)).toBe(0o600)
      const existing = join(dir, 'existing.csv')
      await writeFile(existing, 'old\n')
      await chmod(existing, 0o644)
      await write(existing, 'new\n')
      expect(await readFile(existing, 'utf8')).toBe('new\n')
      expect(await mode(existing)).toBe(0o600)
      expect(await readdir(dir)).toEqual(['existing.csv', 'fresh.csv'])
    })

    it(`${name}: an unwritable target is ERR_FILE_UNWRITABLE and leaves nothing behind`, async () => {
      await writeFile(join(dir, 'plain-file'), 'x')
      for (const target of [join(dir, 'missing', 'out.csv'), join(dir, 'plain-file', 'out.csv'), dir]) {
        await expect(write(target, 'data')).rejects.toMatchObject({ code: 'ERR_FILE_UNWRITABLE' })
      }
      expect(await readdir(dir)).toEqual(['plain-file'])
    })
  }

  it('streams content, and a failing stream leaves the old file and no temporary file', async () => {
    const target = join(dir, 'bundle.zip')
    await writePrivateFile(target, Readable.from([Buffer.from('one '), 'two']))
    expect(await readFile(target, 'utf8')).toBe('one two')
    const failing = async function* () {
      yield Buffer.from('partial')
      throw new Error('source broke')
    }
    await expect(writePrivateFile(target, failing())).rejects.toThrow('source broke')
    expect(await readFile(target, 'utf8')).toBe('one two')
    expect(await readdir(dir)).toEqual(['bundle.zip'])
  })

  it('exclusive keeps an existing file; createDirectory makes 0700 directories', async () => {
    const key = join(dir, 'keys', 'nested', 'key.json')
    expect(await writePrivateFile(key, 'first', { exclusive: true, createDirectory: true })).toBe('written')
    expect(writePrivateFileSync(key, 'second', { exclusive: true })).toBe('exists')
    expect(await writePrivateFile(key, 'third', { exclusive: true })).toBe('exists')
    expect(await readFile(key, 'utf8')).toBe('first')
    expect(await mode(key)).toBe(0o600)
    expect(await mode(join(dir, 'keys'))).toBe(0o700)
    expect(await mode(join(dir, 'keys', 'nested'))).toBe(0o700)
    expect(await readdir(join(dir, 'keys', 'nested'))).toEqual(['key.json'])
  })
})

describe('files callwarden writes are private', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-private-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('filesystem objects and the presign secret: 0600 files, 0700 directories, also over a 0644 object', async () => {
    const root = join(dir, 'blobs')
    const blobs = new FsBlobStore({ root })
    await blobs.put('acme/recordings/call-1.mp3', Buffer.from('audio'))
    const object = join(root, 'objects', 'acme.d', 'recordings.d', 'call-1.mp3.obj')
    expect(await mode(object)).toBe(0o600)
    await chmod(object, 0o644)
    await blobs.put('acme/recordings/call-1.mp3', Readable.from([Buffer.from('new audio')]))
    expect(await mode(object)).toBe(0o600)
    expect(await mode(root)).toBe(0o700)
    expect(await mode(join(root, 'objects', 'acme.d'))).toBe(0o700)
    expect(await mode(join(root, 'objects', 'acme.d', 'recordings.d'))).toBe(0o700)
    expect(await readdir(join(root, 'objects', 'acme.d', 'recordings.d'))).toEqual(['call-1.mp3.obj'])
    await blobs.presignGet('acme/recordings/call-1.mp3', { ttlSeconds: 60 })
    expect(await mode(join(root, '.presign-secret'))).toBe(0o600)
    const chunks: Buffer[] = []
    for await (const chunk of await blobs.get('acme/recordings/call-1.mp3')) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('new audio')
  })

  it('a filesystem object that cannot be written is ERR_STORAGE_UNAVAILABLE', async () => {
    const root = join(dir, 'blobs')
    const blobs = new FsBlobStore({ root })
    await blobs.put('acme/a', Buffer.from('x'))
    // A file where the key's directory should be.
    await writeFile(join(root, 'objects', 'acme.d', 'b.d'), 'not a directory')
    await expect(blobs.put('acme/b/c', Buffer.from('y'))).rejects.toMatchObject({
      code: 'ERR_STORAGE_UNAVAILABLE',
    })
  })

  it('a generated IVR hash secret and audit signing key are 0600 in 0700 directories', async () => {
    const secretFile = join(dir, 'state', 'ivr-hash-secret')
    const secret = loadIvrHashSecret({ file: secretFile, generate: true })
    expect(await mode(secretFile)).toBe(0o600)
    expect(await mode(join(dir, 'state'))).toBe(0o700)
    expect(loadIvrHashSecret({ file: secretFile, generate: true })).toEqual(secret)

    const keyFile = join(dir, 'keys', 'audit-signing-key.json')
    const keys = await AuditKeys.load({ signingKeyFile: keyFile, generate: true })
    expect(await mode(keyFile)).toBe(0o600)
    expect(await mode(join(dir, 'keys'))).toBe(0o700)
    const again = await AuditKeys.load({ signingKeyFile: keyFile, generate: true })
    expect(again.jwks()).toEqual(keys.jwks())
  })
})
