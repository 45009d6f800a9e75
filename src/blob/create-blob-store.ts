/**
 * Turns a blob URL from configuration into a {@link BlobStore}.
 *
 * @module
 */
import type { Clock } from '../clock.js'
import { parseBlobUrl } from '../lib/storage-urls.js'
import type { BlobStore } from './blob-store.js'
import { FsBlobStore } from './fs-blob-store.js'
import { S3BlobStore } from './s3-blob-store.js'

/** Credentials and clock for {@link openBlobStore}. */
export interface OpenBlobStoreOptions {
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string }
  readonly clock?: Clock
}

/**
 * Opens `file:./dir` or `s3://bucket/optional/prefix?endpoint=http://host:port&region=us-east-1`.
 *
 * @example
 * ```ts
 * const blobs = openBlobStore('s3://recordings?endpoint=http://127.0.0.1:7480')
 * ```
 */
export function openBlobStore(url: string, options: OpenBlobStoreOptions = {}): BlobStore {
  const parsed = parseBlobUrl(url)
  if (parsed.kind === 'file') {
    return new FsBlobStore({
      root: parsed.root,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    })
  }
  return new S3BlobStore({
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    ...(parsed.endpoint === undefined ? {} : { endpoint: parsed.endpoint }),
    ...(parsed.region === undefined ? {} : { region: parsed.region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
}
