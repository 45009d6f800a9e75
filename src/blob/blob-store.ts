/**
 * The object-store interface callwarden keeps recordings, exports and audit anchors in.
 * Implemented over S3 (AWS S3, Tencent COS, MinIO, Ceph radosgw) and over the local
 * filesystem for the embedded default; one contract test suite runs on both.
 *
 * @module
 */
import type { Readable } from 'node:stream'
import { CallwardenError } from '../errors.js'

/** What the store knows about one object. */
export interface BlobInfo {
  readonly key: string
  readonly size: number
  readonly lastModified: Date
  readonly etag?: string
  /** The version id, on a versioned bucket. */
  readonly versionId?: string
  readonly contentType?: string
}

/** Options of {@link BlobStore.put}. */
export interface PutOptions {
  /** @defaultValue `'application/octet-stream'` */
  readonly contentType?: string
  /**
   * Object Lock: the object version may not be deleted before this instant
   * (S3 GOVERNANCE mode; COMPLIANCE with `lockMode`). Ignored by the filesystem store.
   */
  readonly retainUntil?: Date
  /** @defaultValue `'GOVERNANCE'` */
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE'
  /** Object Lock legal hold on the version. Ignored by the filesystem store. */
  readonly legalHold?: boolean
}

/** A page of {@link BlobStore.list}. */
export interface BlobPage {
  readonly items: readonly BlobInfo[]
  /** Pass to the next call to continue; absent on the last page. */
  readonly cursor?: string
}

/** What {@link BlobStore.deleteAllVersions} removed. */
export interface DeleteAllVersionsResult {
  /** Object versions deleted. */
  readonly versions: number
  /** Delete markers deleted. */
  readonly deleteMarkers: number
}

/** An object store. Keys are `/`-separated paths of printable characters, at most 1024 bytes. */
export interface BlobStore {
  /** A display name, e.g. `s3://bucket` or `file:/path`. */
  readonly location: string
  /** Stores `body` under `key`, replacing (on a versioned bucket: adding a version). */
  put(key: string, body: Buffer | Uint8Array | Readable, options?: PutOptions): Promise<BlobInfo>
  /** The object's bytes as a stream; `ERR_BLOB_NOT_FOUND` if there is none. */
  get(key: string): Promise<Readable>
  /** The object's metadata, or `undefined` if there is none. */
  head(key: string): Promise<BlobInfo | undefined>
  /** Objects whose keys start with `prefix`, in key order, a page at a time. */
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<BlobPage>
  /**
   * Deletes every version and every delete marker of `key` (secure deletion has to reach
   * old versions). Throws `ERR_BLOB_DELETE_REFUSED` if the store refuses any version
   * (Object Lock retention, legal hold); versions deleted before the refusal stay deleted
   * and a retry deletes the rest. A key with no versions is not an error.
   */
  deleteAllVersions(key: string): Promise<DeleteAllVersionsResult>
  /** A URL that downloads the object without further credentials until `ttlSeconds` pass. */
  presignGet(key: string, options: { ttlSeconds: number }): Promise<string>
  /** Releases connections. Idempotent. */
  close(): Promise<void>
}

/** Longest key, in UTF-8 bytes (S3's limit). */
export const MAX_KEY_BYTES = 1024
/** Most items one list page returns. */
export const MAX_LIST_LIMIT = 1000
/** Longest presigned URL lifetime (S3's SigV4 limit, 7 days). */
export const MAX_PRESIGN_SECONDS = 604_800

/**
 * Throws `ERR_BLOB_KEY_INVALID` unless `key` is a safe relative key: no empty, `.` or `..`
 * segments, no leading `/`, no backslashes or control characters, at most 1024 bytes.
 */
export function assertBlobKey(key: unknown): asserts key is string {
  const problem = keyProblem(key)
  if (problem !== undefined) {
    throw new CallwardenError(
      'ERR_BLOB_KEY_INVALID',
      `object key ${JSON.stringify(typeof key === 'string' ? key.slice(0, 80) : key)} ${problem}; allowed: '/'-separated segments of printable characters other than '\\', no '.' or '..' segments, at most ${MAX_KEY_BYTES} bytes`,
    )
  }
}

function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'is empty or not a string'
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'contains a control character or backslash'
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..'))
    return "has an empty, '.' or '..' segment"
  return undefined
}

/** Throws `ERR_BLOB_KEY_INVALID` unless `prefix` is empty or a valid key prefix. */
export function assertBlobPrefix(prefix: unknown): asserts prefix is string {
  if (prefix === '') return
  if (typeof prefix !== 'string') assertBlobKey(prefix)
  // A prefix may end in '/'; its other segments must be valid.
  assertBlobKey((prefix as string).endsWith('/') ? `${prefix}x` : prefix)
}

/** Throws a `TypeError` for a TTL outside 1 s .. 7 days. */
export function assertPresignTtl(ttlSeconds: unknown): asserts ttlSeconds is number {
  if (
    !Number.isInteger(ttlSeconds) ||
    (ttlSeconds as number) < 1 ||
    (ttlSeconds as number) > MAX_PRESIGN_SECONDS
  ) {
    throw new TypeError(
      `ttlSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}, got ${String(ttlSeconds)}`,
    )
  }
}

/** Throws a `TypeError` for a list limit outside 1..1000. */
export function assertListLimit(limit: unknown): asserts limit is number {
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_LIST_LIMIT) {
    throw new TypeError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${String(limit)}`)
  }
}
