/**
 * The S3 {@link BlobStore}, over @aws-sdk/client-s3: path-style addressing and a custom
 * endpoint, so it works with AWS S3, Tencent COS, MinIO and Ceph radosgw.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  type ObjectIdentifier,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { systemClock, type Clock } from '../clock.js'
import { CallwardenError, type CallwardenErrorCode } from '../errors.js'
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

/** Options of {@link S3BlobStore}. */
export interface S3BlobStoreOptions {
  readonly bucket: string
  /** A key prefix all of this store's objects live under, e.g. `callwarden/`. @defaultValue `''` */
  readonly prefix?: string
  /** Custom endpoint (MinIO, Ceph, COS). @defaultValue AWS's endpoint for the region */
  readonly endpoint?: string
  /** @defaultValue `'us-east-1'` */
  readonly region?: string
  /** @defaultValue the SDK's default credential chain (AWS_ACCESS_KEY_ID, ...) */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string }
  /** @defaultValue `true` (required by most S3-compatible servers) */
  readonly forcePathStyle?: boolean
  /** An existing client to use instead of creating one; it is not destroyed by `close()`. */
  readonly client?: S3Client
  /** Stamps `lastModified` of a put when the server does not say. @defaultValue the system clock */
  readonly clock?: Clock
}

/** Objects at most this large are sent in one PutObject with Content-MD5; larger streams go multipart. */
const MULTIPART_PART_BYTES = 8 * 1024 * 1024
/** DeleteObjects takes at most 1000 keys a request. */
const DELETE_BATCH = 1000

/**
 * Stores objects in an S3 bucket.
 *
 * @example
 * ```ts
 * const blobs = new S3BlobStore({ bucket: 'recordings', endpoint: 'http://127.0.0.1:7480' })
 * await blobs.put('acme/call-1.mp3', audio)
 * await blobs.deleteAllVersions('acme/call-1.mp3') // { versions: 3, deleteMarkers: 1 }
 * ```
 */
export class S3BlobStore implements BlobStore {
  readonly location: string
  readonly client: S3Client
  readonly #bucket: string
  readonly #prefix: string
  readonly #ownsClient: boolean
  readonly #clock: Clock

  constructor(options: S3BlobStoreOptions) {
    if (typeof options?.bucket !== 'string' || options.bucket.length === 0) {
      throw new TypeError('S3BlobStore needs a bucket name')
    }
    this.#bucket = options.bucket
    this.#prefix = options.prefix ?? ''
    if (this.#prefix !== '') assertBlobPrefix(this.#prefix)
    this.#ownsClient = options.client === undefined
    this.#clock = options.clock ?? systemClock
    this.client =
      options.client ??
      new S3Client({
        region: options.region ?? 'us-east-1',
        forcePathStyle: options.forcePathStyle ?? true,
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
        // S3-compatible servers (Ceph, older MinIO) reject the SDK's default flexible
        // checksums on streamed uploads; send checksums only where an operation needs one.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      })
    this.location = `s3://${this.#bucket}/${this.#prefix}`
  }

  async put(key: string, body: Buffer | Uint8Array | Readable, options: PutOptions = {}): Promise<BlobInfo> {
    assertBlobKey(key)
    const input: PutObjectCommandInput = {
      Bucket: this.#bucket,
      Key: this.#key(key),
      ContentType: options.contentType ?? 'application/octet-stream',
      ...(options.retainUntil === undefined
        ? {}
        : {
            ObjectLockMode: options.lockMode ?? 'GOVERNANCE',
            ObjectLockRetainUntilDate: options.retainUntil,
          }),
      ...(options.legalHold === true ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
    }
    const result = await this.#call('put', key, async () => {
      if (!(body instanceof Readable)) {
        const bytes = Buffer.from(body)
        // Content-MD5 makes the server verify the bytes; Object Lock puts require it.
        const md5 = createHash('md5').update(bytes).digest('base64')
        const out = await this.client.send(
          new PutObjectCommand({ ...input, Body: bytes, ContentLength: bytes.length, ContentMD5: md5 }),
        )
        return { etag: out.ETag, versionId: out.VersionId, size: bytes.length }
      }
      let size = 0
      body.on('data', (chunk: Buffer) => {
        size += chunk.length
      })
      const upload = new Upload({
        client: this.client,
        params: { ...input, Body: body },
        partSize: MULTIPART_PART_BYTES,
        queueSize: 2,
        leavePartsOnError: false,
      })
      const out = await upload.done()
      return { etag: out.ETag, versionId: out.VersionId, size }
    })
    return {
      key,
      size: result.size,
      lastModified: this.#clock.now(),
      ...(result.etag === undefined ? {} : { etag: result.etag.replaceAll('"', '') }),
      ...(result.versionId === undefined ? {} : { versionId: result.versionId }),
      contentType: input.ContentType!,
    }
  }

  async get(key: string): Promise<Readable> {
    assertBlobKey(key)
    const out = await this.#call('get', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) })),
    )
    if (!(out.Body instanceof Readable)) {
      throw new CallwardenError(
        'ERR_STORAGE_UNAVAILABLE',
        `object '${key}' came back without a readable body`,
      )
    }
    return out.Body
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertBlobKey(key)
    try {
      const out = await this.#call('head', key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) })),
      )
      return {
        key,
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(0),
        ...(out.ETag === undefined ? {} : { etag: out.ETag.replaceAll('"', '') }),
        ...(out.VersionId === undefined ? {} : { versionId: out.VersionId }),
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
      }
    } catch (error) {
      if (error instanceof CallwardenError && error.code === 'ERR_BLOB_NOT_FOUND') return undefined
      throw error
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<BlobPage> {
    assertBlobPrefix(prefix)
    const limit = options.limit ?? 1000
    assertListLimit(limit)
    const out = await this.#call('list', prefix, () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#key(prefix),
          MaxKeys: limit,
          ...(options.cursor === undefined ? {} : { ContinuationToken: options.cursor }),
        }),
      ),
    )
    const items: BlobInfo[] = (out.Contents ?? []).map((o) => ({
      key: o.Key!.slice(this.#prefix.length),
      size: o.Size ?? 0,
      lastModified: o.LastModified ?? new Date(0),
      ...(o.ETag === undefined ? {} : { etag: o.ETag.replaceAll('"', '') }),
    }))
    return out.IsTruncated === true && out.NextContinuationToken !== undefined
      ? { items, cursor: out.NextContinuationToken }
      : { items }
  }

  async deleteAllVersions(key: string): Promise<DeleteAllVersionsResult> {
    assertBlobKey(key)
    const fullKey = this.#key(key)
    let versions = 0
    let deleteMarkers = 0
    // Version ids already deleted: a listing that lags behind the deletes may return them
    // again, and they must neither be counted twice nor keep the loop going.
    const done = new Set<string>()
    // Re-list from the start after each batch: deleting shifts the listing under a marker.
    for (;;) {
      const page = await this.#call('deleteAllVersions', key, () =>
        this.client.send(
          new ListObjectVersionsCommand({ Bucket: this.#bucket, Prefix: fullKey, MaxKeys: DELETE_BATCH }),
        ),
      )
      // A prefix listing also returns longer keys (`a/b` for `a`); keep the exact key only.
      const found = [
        ...(page.Versions ?? [])
          .filter((v) => v.Key === fullKey)
          .map((v) => ({ id: v.VersionId ?? 'null', marker: false })),
        ...(page.DeleteMarkers ?? [])
          .filter((m) => m.Key === fullKey)
          .map((m) => ({ id: m.VersionId ?? 'null', marker: true })),
      ].filter((f) => !done.has(f.id))
      // The exact key sorts before every longer key, so a page without it means none remain.
      if (found.length === 0) return { versions, deleteMarkers }
      const objects: ObjectIdentifier[] = found.map((f) => ({ Key: fullKey, VersionId: f.id }))
      const out = await this.#call('deleteAllVersions', key, () =>
        this.client.send(
          new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: objects, Quiet: true } }),
        ),
      )
      const failed = new Set((out.Errors ?? []).map((e) => e.VersionId ?? 'null'))
      for (const f of found) {
        if (failed.has(f.id)) continue
        done.add(f.id)
        if (f.marker) deleteMarkers += 1
        else versions += 1
      }
      if (failed.size > 0) {
        const first = out.Errors![0]!
        throw new CallwardenError(
          'ERR_BLOB_DELETE_REFUSED',
          `the store refused to delete ${failed.size} version(s) of '${key}' (${first.Code ?? 'error'}); deleted ${versions} version(s) and ${deleteMarkers} delete marker(s) before that`,
        )
      }
    }
  }

  async presignGet(key: string, options: { ttlSeconds: number }): Promise<string> {
    assertBlobKey(key)
    assertPresignTtl(options?.ttlSeconds)
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }), {
      expiresIn: options.ttlSeconds,
    })
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.client.destroy()
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`
  }

  /** Runs an SDK call, translating its failures into catalogued errors. */
  async #call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw translate(error, operation, key, this.#bucket)
    }
  }
}

function translate(error: unknown, operation: string, key: string, bucket: string): CallwardenError {
  if (error instanceof CallwardenError) return error
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string }
  const status = e.$metadata?.httpStatusCode
  let code: CallwardenErrorCode = 'ERR_STORAGE_UNAVAILABLE'
  if (e.name === 'NoSuchBucket') code = 'ERR_STORAGE_UNAVAILABLE'
  else if (e.name === 'NoSuchKey' || e.name === 'NotFound' || status === 404) code = 'ERR_BLOB_NOT_FOUND'
  else if (operation === 'deleteAllVersions' && (e.name === 'AccessDenied' || status === 403)) {
    code = 'ERR_BLOB_DELETE_REFUSED'
  }
  const what =
    code === 'ERR_BLOB_NOT_FOUND'
      ? `no object under key '${key}'`
      : `${operation} '${key}' on s3://${bucket} failed`
  return new CallwardenError(
    code,
    `${what}: ${e.name ?? 'Error'}${status === undefined ? '' : ` (HTTP ${status})`}`,
    {
      cause: error,
    },
  )
}
