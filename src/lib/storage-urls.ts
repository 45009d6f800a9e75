/**
 * Parsing of the storage URLs configuration names (`CALLWARDEN_DATABASE_URL`,
 * `CALLWARDEN_BLOB_URL`), at the bottom layer so configuration can validate them without
 * depending on the store or blob modules.
 *
 * @module
 */
import { CallwardenError } from '../errors.js'

/** @internal */
export function parseDatabaseUrl(
  url: string,
): { dialect: 'sqlite'; path: string } | { dialect: 'mysql'; url: URL } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (path.length === 0) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `database URL '${url}' names no file; allowed: sqlite:./path.db or sqlite::memory:`,
      )
    }
    return { dialect: 'sqlite', path }
  }
  if (url.startsWith('mysql://')) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch (cause) {
      throw new CallwardenError('ERR_CONFIG_INVALID', `database URL '${redactUrl(url)}' is not a valid URL`, {
        cause,
      })
    }
    if (parsed.pathname.length <= 1) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `database URL '${redactUrl(url)}' names no database; allowed: mysql://user:pass@host:port/db`,
      )
    }
    return { dialect: 'mysql', url: parsed }
  }
  throw new CallwardenError(
    'ERR_CONFIG_INVALID',
    `database URL '${redactUrl(url)}' has an unsupported scheme; allowed: sqlite:./path.db, sqlite::memory:, mysql://user:pass@host:port/db`,
  )
}

/** Removes the password from a URL for display. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z0-9+.-]+:\/\/[^:/@]+:)[^@]*@/i, '$1***@')
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
