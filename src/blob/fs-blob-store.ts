/**
 * The filesystem {@link BlobStore} of the embedded default.
 *
 * Layout under the root directory: key segments become directories named `<segment>.d`
 * and the object itself one file `<segment>.obj`, so the keys `a` and `a/b` can coexist.
 * The file holds the bytes followed by a small JSON trailer (content type, MD5) and its
 * length, so bytes and metadata are replaced together by a single rename: a write goes to a
 * temporary 0600 file that is fsynced and renamed into place (then the directory is fsynced;
 * directories are created 0700, objects hold personal data), and a reader, which works on one open file handle, never sees half an object or new metadata
 * with old bytes. Keys are validated and every resolved path is checked to lie under the
 * root: no key escapes it.
 *
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { open, readdir, readFile, rm, rmdir, stat, type FileHandle } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { systemClock, type Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import { writePrivateFile } from '../lib/private-file.js'
import {
  assertBlobKey,
  assertBlobPrefix,
  assertListLimit,
  assertPresignTtl,
  type BlobInfo,
  type BlobPage,
  type BlobStore,
  type DeleteAllVersionsResult,
  type PutOptions,
} from './blob-store.js'

const OBJECT = '.obj'
const DIR = '.d'
/** Last bytes of every object file: trailer length (uint32 BE) and this magic. */
const MAGIC = Buffer.from('CWB1')
const TAIL_BYTES = 8
/** Longest key segment: a file name is at most 255 bytes, less our longest suffix. */
const MAX_SEGMENT_BYTES = 250
/** The scheme of presigned URLs issued by this store; `openPresigned` reads them. */
export const FS_PRESIGN_SCHEME = 'cwblob:'

interface Meta {
  readonly contentType: string
  readonly etag: string
}

/** Options of {@link FsBlobStore}. */
export interface FsBlobStoreOptions {
  /** The root directory; created when missing. */
  readonly root: string
  /** @defaultValue the system clock */
  readonly clock?: Clock
}

/**
 * Stores objects as files under a root directory.
 *
 * @example
 * ```ts
 * const blobs = new FsBlobStore({ root: './.callwarden/blobs' })
 * await blobs.put('acme/recordings/call-1.mp3', audio, { contentType: 'audio/mpeg' })
 * const url = await blobs.presignGet('acme/recordings/call-1.mp3', { ttlSeconds: 300 })
 * const stream = await blobs.openPresigned(url)
 * ```
 */
export class FsBlobStore implements BlobStore {
  readonly location: string
  readonly #root: string
  readonly #clock: Clock
  #secret: Promise<Buffer> | undefined

  constructor(options: FsBlobStoreOptions) {
    if (typeof options?.root !== 'string' || options.root.length === 0) {
      throw new TypeError('FsBlobStore needs a root directory')
    }
    this.#root = resolve(options.root)
    this.#clock = options.clock ?? systemClock
    this.location = `file:${this.#root}`
  }

  async put(key: string, body: Buffer | Uint8Array | Readable, options: PutOptions = {}): Promise<BlobInfo> {
    const path = this.#objectPath(key)
    const md5 = createHash('md5')
    let size = 0
    const meta = { contentType: options.contentType ?? 'application/octet-stream', etag: '' }
    // The trailer follows the bytes in the same file, so it is computed as they stream past.
    const content = async function* (): AsyncGenerator<Uint8Array> {
      const source = body instanceof Readable ? body : [Buffer.from(body)]
      for await (const chunk of source as AsyncIterable<Buffer>) {
        md5.update(chunk)
        size += chunk.length
        yield chunk
      }
      meta.etag = md5.digest('hex')
      const trailer = Buffer.from(JSON.stringify(meta satisfies Meta))
      const length = Buffer.alloc(4)
      length.writeUInt32BE(trailer.length)
      yield Buffer.concat([trailer, length, MAGIC])
    }
    try {
      await writePrivateFile(`${path}${OBJECT}`, content(), { createDirectory: true })
    } catch (error) {
      throw storageError(error, key)
    }
    const info = await stat(`${path}${OBJECT}`)
    return { key, size, lastModified: info.mtime, etag: meta.etag, contentType: meta.contentType }
  }

  async get(key: string): Promise<Readable> {
    const path = this.#objectPath(key)
    let handle: FileHandle
    try {
      handle = await open(`${path}${OBJECT}`, 'r')
    } catch (error) {
      if (isNotFound(error)) throw notFound(key)
      throw error
    }
    try {
      const { bodySize } = await readObject(handle)
      if (bodySize === 0) {
        await handle.close()
        return Readable.from([])
      }
      return handle.createReadStream({ start: 0, end: bodySize - 1 })
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    return this.#info(key, this.#objectPath(key))
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<BlobPage> {
    assertBlobPrefix(prefix)
    const limit = options.limit ?? 1000
    assertListLimit(limit)
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    // Walk from the deepest directory the prefix fully names.
    const segments = prefix.split('/')
    segments.pop() // the last segment may be partial: filtered below
    const startDir = join(this.#root, 'objects', ...segments.map((s) => `${s}${DIR}`))
    const keys: string[] = []
    await this.#walk(startDir, segments.length === 0 ? '' : `${segments.join('/')}/`, keys)
    const matching = keys.filter((k) => k.startsWith(prefix) && (after === undefined || k > after)).sort()
    const page = matching.slice(0, limit)
    const items: BlobInfo[] = []
    for (const key of page) {
      const info = await this.#info(key, this.#objectPath(key))
      if (info !== undefined) items.push(info)
    }
    return matching.length > limit ? { items, cursor: encodeCursor(page.at(-1)!) } : { items }
  }

  async deleteAllVersions(key: string): Promise<DeleteAllVersionsResult> {
    const path = this.#objectPath(key)
    const file = `${path}${OBJECT}`
    let handle: FileHandle
    try {
      handle = await open(file, 'r+')
    } catch (error) {
      if (isNotFound(error)) return { versions: 0, deleteMarkers: 0 }
      throw error
    }
    // Overwrite before unlinking so the bytes do not linger in free blocks. On copy-on-write
    // filesystems and SSDs this is best effort; crypto-shredding is the guarantee.
    try {
      const { size } = await handle.stat()
      const zeros = Buffer.alloc(Math.min(size, 1 << 20))
      for (let offset = 0; offset < size; offset += zeros.length) {
        await handle.write(zeros, 0, Math.min(zeros.length, size - offset), offset)
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rm(file, { force: true })
    await this.#pruneEmptyDirectories(dirname(path))
    return { versions: 1, deleteMarkers: 0 }
  }

  async presignGet(key: string, options: { ttlSeconds: number }): Promise<string> {
    assertBlobKey(key)
    assertPresignTtl(options?.ttlSeconds)
    const expires = Math.floor(this.#clock.now().getTime() / 1000) + options.ttlSeconds
    const signature = await this.#sign(key, expires)
    return `${FS_PRESIGN_SCHEME}${encodeURIComponent(key)}?expires=${expires}&signature=${signature}`
  }

  /**
   * Opens the object a URL from {@link presignGet} points to, after checking its signature and
   * expiry (`ERR_BLOB_URL_INVALID`).
   */
  async openPresigned(url: string): Promise<Readable> {
    const invalid = (why: string) => new CallwardenError('ERR_BLOB_URL_INVALID', `presigned URL ${why}`)
    if (typeof url !== 'string' || !url.startsWith(FS_PRESIGN_SCHEME))
      throw invalid(`does not start with ${FS_PRESIGN_SCHEME}`)
    const [encodedKey = '', query = ''] = url.slice(FS_PRESIGN_SCHEME.length).split('?', 2)
    const params = new URLSearchParams(query)
    const expires = Number(params.get('expires'))
    const signature = params.get('signature') ?? ''
    let key: string
    try {
      key = decodeURIComponent(encodedKey)
    } catch {
      throw invalid('has a malformed key')
    }
    assertBlobKey(key)
    if (!Number.isInteger(expires)) throw invalid('has no expiry')
    const expected = Buffer.from(await this.#sign(key, expires))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw invalid('has a bad signature')
    if (this.#clock.now().getTime() / 1000 > expires) throw invalid('has expired')
    return this.get(key)
  }

  async close(): Promise<void> {}

  /** The path of a key without suffix; throws `ERR_BLOB_KEY_INVALID` for unsafe keys. */
  #objectPath(key: string): string {
    assertBlobKey(key)
    const segments = key.split('/')
    for (const s of segments) {
      if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) {
        throw new CallwardenError(
          'ERR_BLOB_KEY_INVALID',
          `object key segment of ${Buffer.byteLength(s)} bytes is too long for the filesystem store; allowed: at most ${MAX_SEGMENT_BYTES}`,
        )
      }
    }
    const last = segments.pop()!
    const objects = join(this.#root, 'objects')
    const path = join(objects, ...segments.map((s) => `${s}${DIR}`), last)
    // Validation already rules out '..'; this keeps the guarantee if it ever changes.
    const rel = relative(objects, path)
    if (rel.startsWith('..') || rel.includes(`${sep}..${sep}`) || resolve(path) !== path) {
      throw new CallwardenError('ERR_BLOB_KEY_INVALID', 'object key escapes the store root')
    }
    return path
  }

  async #info(key: string, path: string): Promise<BlobInfo | undefined> {
    let handle: FileHandle
    try {
      handle = await open(`${path}${OBJECT}`, 'r')
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
    try {
      const { bodySize, meta, mtime } = await readObject(handle)
      return { key, size: bodySize, lastModified: mtime, etag: meta.etag, contentType: meta.contentType }
    } finally {
      await handle.close()
    }
  }

  /** Removes directories left empty by a deletion: their names are key segments. */
  async #pruneEmptyDirectories(dir: string): Promise<void> {
    const objects = join(this.#root, 'objects')
    for (let current = dir; current.startsWith(`${objects}${sep}`); current = dirname(current)) {
      try {
        await rmdir(current)
      } catch {
        return // not empty (or already gone): stop climbing
      }
    }
  }

  async #walk(dir: string, keyPrefix: string, out: string[]): Promise<void> {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      if (isNotFound(error)) return
      throw error
    }
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name.endsWith(DIR)) {
        await this.#walk(join(dir, entry.name), `${keyPrefix}${entry.name.slice(0, -DIR.length)}/`, out)
      } else if (entry.isFile() && entry.name.endsWith(OBJECT)) {
        out.push(`${keyPrefix}${entry.name.slice(0, -OBJECT.length)}`)
      }
    }
  }

  #sign(key: string, expires: number): Promise<string> {
    return this.#loadSecret().then((secret) =>
      createHmac('sha256', secret).update(`${key}\n${expires}`).digest('base64url'),
    )
  }

  /** The signing secret for presigned URLs, created once per store root. */
  #loadSecret(): Promise<Buffer> {
    this.#secret ??= (async () => {
      const file = join(this.#root, '.presign-secret')
      // Exclusive: a store opened by two processes at once keeps one secret.
      await writePrivateFile(file, randomBytes(32).toString('base64'), {
        exclusive: true,
        createDirectory: true,
      })
      return Buffer.from(await readFile(file, 'utf8'), 'base64')
    })()
    return this.#secret
  }
}

/** Reads an object file's trailer through an open handle (one consistent version). */
async function readObject(handle: FileHandle): Promise<{ bodySize: number; meta: Meta; mtime: Date }> {
  const { size, mtime } = await handle.stat()
  const corrupt = () =>
    new CallwardenError('ERR_STORAGE_UNAVAILABLE', 'object file is damaged (no valid trailer)')
  if (size < TAIL_BYTES) throw corrupt()
  const tail = Buffer.alloc(TAIL_BYTES)
  await handle.read(tail, 0, TAIL_BYTES, size - TAIL_BYTES)
  if (!tail.subarray(4).equals(MAGIC)) throw corrupt()
  const trailerLength = tail.readUInt32BE(0)
  const bodySize = size - TAIL_BYTES - trailerLength
  if (bodySize < 0) throw corrupt()
  const trailer = Buffer.alloc(trailerLength)
  await handle.read(trailer, 0, trailerLength, bodySize)
  return { bodySize, meta: JSON.parse(trailer.toString('utf8')) as Meta, mtime }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** A write the filesystem refused is the store being unavailable, as an S3 error would be. */
function storageError(error: unknown, key: string): unknown {
  if (!(error instanceof CallwardenError) || error.code !== 'ERR_FILE_UNWRITABLE') return error
  return new CallwardenError('ERR_STORAGE_UNAVAILABLE', `cannot store object '${key}': ${error.message}`, {
    cause: error,
  })
}

function notFound(key: string): CallwardenError {
  return new CallwardenError('ERR_BLOB_NOT_FOUND', `no object under key '${key}'`)
}

function encodeCursor(key: string): string {
  return Buffer.from(key).toString('base64url')
}

function decodeCursor(cursor: string): string {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]*$/.test(cursor)) {
    throw new TypeError('cursor must be a value returned by list()')
  }
  return Buffer.from(cursor, 'base64url').toString()
}
