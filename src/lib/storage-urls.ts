/**
 * Parsing of the storage URLs configuration names (`CALLWARDEN_DATABASE_URL`,
 * `CALLWARDEN_BLOB_URL`), at the bottom layer so configuration can validate them without
 * depending on the store or blob modules. Every message names a URL only as
 * {@link redactUrl} shows it, and a failed parse is not attached as the cause: Node's URL
 * error carries the whole input.
 *
 * @module
 */
import { CallwardenError } from '../errors.js'
import { redactSecrets } from './redact-secrets.js'

/** @internal */
export function parseDatabaseUrl(
  url: string,
): { dialect: 'sqlite'; path: string } | { dialect: 'mysql'; url: URL } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (path.length === 0) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `database URL '${redactUrl(url)}' names no file; allowed: sqlite:./path.db or sqlite::memory:`,
      )
    }
    return { dialect: 'sqlite', path }
  }
  if (url.startsWith('mysql://')) {
    const parsed = URL.parse(url)
    if (parsed === null) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `database URL '${redactUrl(url)}' is not a valid URL; percent-encode reserved characters of the user name and password (@ as %40, / as %2F, # as %23, % as %25)`,
      )
    }
    if (!decodes(parsed.username) || !decodes(parsed.password)) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `database URL '${redactUrl(url)}' has a malformed %-escape in its user name or password; write % as %25`,
      )
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

/**
 * A URL for display: without its password (all of its userinfo when it has no user name)
 * or secret query values, even when it does not parse. See {@link redactSecrets}.
 */
export function redactUrl(url: string): string {
  return redactSecrets(url)
}

function decodes(component: string): boolean {
  try {
    decodeURIComponent(component)
    return true
  } catch {
    return false
  }
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
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `blob URL '${redactUrl(url)}' names no directory; ${allowed}`,
      )
    return { kind: 'file', root }
  }
  if (url.startsWith('s3://')) {
    const parsed = URL.parse(url)
    if (parsed === null) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `blob URL '${redactUrl(url)}' is not a valid URL; ${allowed}`,
      )
    }
    if (parsed.username !== '' || parsed.password !== '') {
      // Credentials here would be silently ignored; they belong in s3Credentials or the environment.
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `blob URL '${redactUrl(url)}' carries credentials; give them as s3Credentials or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY instead`,
      )
    }
    const bucket = parsed.hostname
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `blob URL '${redactUrl(url)}' has an invalid bucket name '${bucket}'; ${allowed}`,
      )
    }
    const endpoint = parsed.searchParams.get('endpoint') ?? undefined
    if (endpoint !== undefined && !/^https?:\/\/[^/@]+\/?$/.test(endpoint)) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        // Not the endpoint alone: split out of the query, it may hold part of a password.
        `blob URL '${redactUrl(url)}' has an invalid endpoint; it must be http(s)://host[:port], without credentials`,
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
  throw new CallwardenError(
    'ERR_CONFIG_INVALID',
    `blob URL '${redactUrl(url)}' has an unsupported scheme; ${allowed}`,
  )
}
