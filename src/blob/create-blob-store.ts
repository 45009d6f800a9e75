/**
 * Turns a blob URL from configuration into a {@link BlobStore}.
 *
 * @module
 */
import type { Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
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
  })
}

/** @internal */
export function parseBlobUrl(
  url: string,
):
  | { kind: 'file'; root: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region?: string } {
  const allowed = 'allowed: file:./dir or s3://bucket[/prefix][?endpoint=http://host:port&region=...]'
  if (url.startsWith('file:')) {
    const root = url.slice('file:'.length).replace(/^\/\/(?=\/)/, '')
    if (root.length === 0)
      throw new CallwardenError('ERR_CONFIG_INVALID', `blob URL '${url}' names no directory; ${allowed}`)
    return { kind: 'file', root }
  }
  if (url.startsWith('s3://')) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch (cause) {
      throw new CallwardenError('ERR_CONFIG_INVALID', `blob URL '${url}' is not a valid URL; ${allowed}`, {
        cause,
      })
    }
    const bucket = parsed.hostname
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `blob URL '${url}' has an invalid bucket name '${bucket}'; ${allowed}`,
      )
    }
    const endpoint = parsed.searchParams.get('endpoint') ?? undefined
    if (endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `blob URL endpoint '${endpoint}' must be http(s)://host[:port]`,
      )
    }
    const prefix = parsed.pathname.replace(/^\//, '')
    return {
      kind: 's3',
      bucket,
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(parsed.searchParams.get('region') === null ? {} : { region: parsed.searchParams.get('region')! }),
    }
  }
  throw new CallwardenError('ERR_CONFIG_INVALID', `blob URL '${url}' has an unsupported scheme; ${allowed}`)
}
