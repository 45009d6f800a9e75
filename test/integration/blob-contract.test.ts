/**
 * The BlobStore contract on the filesystem and on radosgw, and the S3-only guarantees that
 * secure deletion rests on: every version and delete marker removed on a versioned bucket,
 * and deletion refused under Object Lock.
 */
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import {
  GetObjectLockConfigurationCommand,
  ListObjectVersionsCommand,
  PutObjectLegalHoldCommand,
  DeleteObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BlobStore } from '../../src/blob/blob-store.js'
import { FsBlobStore } from '../../src/blob/fs-blob-store.js'
import { S3BlobStore } from '../../src/blob/s3-blob-store.js'
import { ManualClock } from '../../src/clock.js'
import { s3Settings } from './services.js'
import { STACKS } from './stacks.js'

for (const stack of STACKS) {
  describe(`blob contract on ${stack.name}`, () => {
    let store: BlobStore & { dispose(): Promise<void> }

    beforeAll(async () => {
      store = await stack.openBlobStore()
    })

    afterAll(async () => {
      await store?.dispose()
    })

    it('puts from a buffer and a stream, gets, heads', async () => {
      const bytes = randomBytes(4096)
      const put = await store.put('acme/recordings/c-1.mp3', bytes, { contentType: 'audio/mpeg' })
      expect(put).toMatchObject({ key: 'acme/recordings/c-1.mp3', size: 4096 })
      const got = Buffer.concat(await (await store.get('acme/recordings/c-1.mp3')).toArray())
      expect(got.equals(bytes)).toBe(true)
      const head = await store.head('acme/recordings/c-1.mp3')
      expect(head).toMatchObject({ key: 'acme/recordings/c-1.mp3', size: 4096, contentType: 'audio/mpeg' })

      const streamed = await store.put('acme/exports/e-1.jsonl', Readable.from(['{"a":1}\n', '{"a":2}\n']))
      expect(streamed.size).toBe(16)
      expect(await text(await store.get('acme/exports/e-1.jsonl'))).toBe('{"a":1}\n{"a":2}\n')
    })

    it('replaces an object on a second put', async () => {
      await store.put('acme/replace.txt', Buffer.from('one'))
      await store.put('acme/replace.txt', Buffer.from('two'))
      expect(await text(await store.get('acme/replace.txt'))).toBe('two')
    })

    it('reports a missing key: get throws ERR_BLOB_NOT_FOUND, head is undefined', async () => {
      await expect(store.get('acme/missing')).rejects.toMatchObject({ code: 'ERR_BLOB_NOT_FOUND' })
      expect(await store.head('acme/missing')).toBeUndefined()
    })

    it('keeps a key and a longer key under it apart', async () => {
      await store.put('nest/a', Buffer.from('a'))
      await store.put('nest/a/b', Buffer.from('b'))
      expect(await text(await store.get('nest/a'))).toBe('a')
      expect(await text(await store.get('nest/a/b'))).toBe('b')
      await store.deleteAllVersions('nest/a')
      expect(await store.head('nest/a')).toBeUndefined()
      expect(await store.head('nest/a/b')).toBeDefined()
    })

    it('lists by prefix in key order, a page at a time', async () => {
      const keys = Array.from({ length: 7 }, (_, i) => `listing/t1/k${i}`)
      for (const key of keys) await store.put(key, Buffer.from(key))
      await store.put('listing/t2/other', Buffer.from('x'))
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await store.list('listing/t1/', {
          limit: 3,
          ...(cursor === undefined ? {} : { cursor }),
        })
        seen.push(...page.items.map((i) => i.key))
        cursor = page.cursor
        pages += 1
      } while (cursor !== undefined)
      expect(seen).toEqual(keys)
      expect(pages).toBe(3)
      const partial = await store.list('listing/t')
      expect(partial.items.map((i) => i.key)).toEqual([...keys, 'listing/t2/other'])
    })

    it('deleteAllVersions removes the object and is idempotent', async () => {
      await store.put('gone/x', Buffer.from('secret'))
      const first = await store.deleteAllVersions('gone/x')
      expect(first.versions).toBeGreaterThanOrEqual(1)
      expect(await store.head('gone/x')).toBeUndefined()
      expect(await store.deleteAllVersions('gone/x')).toEqual({ versions: 0, deleteMarkers: 0 })
    })

    it('refuses keys that could escape the store', async () => {
      for (const key of [
        '',
        '/abs',
        '../up',
        'a/../../b',
        'a//b',
        'a\\b',
        'a/./b',
        'nul\u0000',
        'x'.repeat(1025),
      ]) {
        await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_BLOB_KEY_INVALID' })
      }
      await expect(store.get('../etc/passwd')).rejects.toMatchObject({ code: 'ERR_BLOB_KEY_INVALID' })
    })

    it('presigns a download URL that works until it expires', async () => {
      await store.put('share/r.mp3', Buffer.from('audio-bytes'))
      const url = await store.presignGet('share/r.mp3', { ttlSeconds: 60 })
      if (store instanceof S3BlobStore) {
        const response = await fetch(url)
        expect(response.status).toBe(200)
        expect(await response.text()).toBe('audio-bytes')
        const expired = await store.presignGet('share/r.mp3', { ttlSeconds: 1 })
        await new Promise((resolve) => setTimeout(resolve, 2100))
        expect((await fetch(expired)).status).toBe(403)
      } else {
        const fs = store as unknown as FsBlobStore
        expect(await text(await fs.openPresigned(url))).toBe('audio-bytes')
        await expect(fs.openPresigned(url.replace(/signature=./, 'signature=A'))).rejects.toMatchObject({
          code: 'ERR_BLOB_URL_INVALID',
        })
      }
      await expect(store.presignGet('share/r.mp3', { ttlSeconds: 0 })).rejects.toThrow(TypeError)
    })
  })
}

describe('filesystem store specifics', () => {
  it('expires presigned URLs by its clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const stack = STACKS[0]!
    const store = await stack.openBlobStore({ clock })
    try {
      await store.put('k', Buffer.from('v'))
      const url = await store.presignGet('k', { ttlSeconds: 10 })
      clock.advance(11_000)
      await expect((store as unknown as FsBlobStore).openPresigned(url)).rejects.toMatchObject({
        code: 'ERR_BLOB_URL_INVALID',
      })
    } finally {
      await store.dispose()
    }
  })
})

describe('radosgw: versioned bucket and Object Lock', () => {
  const s3 = s3Settings()
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const prefix = `test-${randomBytes(4).toString('hex')}/`
  const versioned = new S3BlobStore({ bucket: s3.versionedBucket, prefix, client })
  const locked = new S3BlobStore({ bucket: s3.lockedBucket, prefix, client })

  afterAll(() => {
    client.destroy()
  })

  async function versionsOf(bucket: string, key: string) {
    const out = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${prefix}${key}` }),
    )
    return {
      versions: (out.Versions ?? []).filter((v) => v.Key === `${prefix}${key}`).length,
      markers: (out.DeleteMarkers ?? []).filter((m) => m.Key === `${prefix}${key}`).length,
    }
  }

  it('deleteAllVersions leaves zero versions and zero delete markers', async () => {
    await versioned.put('rec/c-9.mp3', Buffer.from('v1'))
    await versioned.put('rec/c-9.mp3', Buffer.from('v2'))
    await versioned.put('rec/c-9.mp3', Buffer.from('v3'))
    // A plain delete on a versioned bucket only adds a delete marker; the bytes remain.
    await client.send(new DeleteObjectCommand({ Bucket: s3.versionedBucket, Key: `${prefix}rec/c-9.mp3` }))
    await versioned.put('rec/c-9.mp3.keep', Buffer.from('neighbour'))
    expect(await versionsOf(s3.versionedBucket, 'rec/c-9.mp3')).toEqual({ versions: 3, markers: 1 })

    const result = await versioned.deleteAllVersions('rec/c-9.mp3')
    expect(result).toEqual({ versions: 3, deleteMarkers: 1 })
    expect(await versionsOf(s3.versionedBucket, 'rec/c-9.mp3')).toEqual({ versions: 0, markers: 0 })
    // A longer key sharing the prefix is untouched.
    expect(await versioned.head('rec/c-9.mp3.keep')).toBeDefined()
    await versioned.deleteAllVersions('rec/c-9.mp3.keep')
  })

  it('the Object Lock bucket refuses to delete a locked version', async () => {
    const lock = await client.send(new GetObjectLockConfigurationCommand({ Bucket: s3.lockedBucket }))
    expect(lock.ObjectLockConfiguration?.ObjectLockEnabled).toBe('Enabled')
    await locked.put('hold/c-1.mp3', Buffer.from('under legal hold'), { legalHold: true })
    await expect(locked.deleteAllVersions('hold/c-1.mp3')).rejects.toMatchObject({
      code: 'ERR_BLOB_DELETE_REFUSED',
    })
    expect(await locked.head('hold/c-1.mp3')).toBeDefined()
    // Lifting the hold makes the version deletable again.
    const { versions } = await versionsOf(s3.lockedBucket, 'hold/c-1.mp3')
    expect(versions).toBe(1)
    const head = await locked.head('hold/c-1.mp3')
    await client.send(
      new PutObjectLegalHoldCommand({
        Bucket: s3.lockedBucket,
        Key: `${prefix}hold/c-1.mp3`,
        ...(head?.versionId === undefined ? {} : { VersionId: head.versionId }),
        LegalHold: { Status: 'OFF' },
      }),
    )
    expect(await locked.deleteAllVersions('hold/c-1.mp3')).toEqual({ versions: 1, deleteMarkers: 0 })
  })

  it('a retention period also blocks deletion (GOVERNANCE mode, without bypass)', async () => {
    await locked.put('retained/c-2.mp3', Buffer.from('retained'), {
      retainUntil: new Date(Date.now() + 3_600_000),
      lockMode: 'GOVERNANCE',
    })
    await expect(locked.deleteAllVersions('retained/c-2.mp3')).rejects.toMatchObject({
      code: 'ERR_BLOB_DELETE_REFUSED',
    })
    const head = await locked.head('retained/c-2.mp3')
    expect(head).toBeDefined()
    // Clean up as an administrator would: GOVERNANCE retention can be bypassed explicitly.
    await client.send(
      new DeleteObjectCommand({
        Bucket: s3.lockedBucket,
        Key: `${prefix}retained/c-2.mp3`,
        ...(head?.versionId === undefined ? {} : { VersionId: head.versionId }),
        BypassGovernanceRetention: true,
      }),
    )
  })
})
