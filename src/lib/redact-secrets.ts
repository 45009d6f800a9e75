/**
 * The one redaction of credentials in text callwarden shows: configuration errors, store and
 * object-store errors, log lines and CLI output all pass URLs and configuration values
 * through {@link redactSecrets} before anyone sees them.
 *
 * @module
 */

/** What replaces a redacted password, userinfo or query value. */
export const REDACTED = '***'

/**
 * Query parameter names whose values are credentials: presigned-URL signatures
 * (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`, `sig`), tokens, secrets,
 * passwords and keys. Matched as parts of a name, case-insensitively, so `access_token`
 * and `apiKey` are caught too.
 */
export const SECRET_PARAMETER_PARTS = [
  'signature',
  'credential',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'key',
  'auth',
  'sig',
] as const

const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi
const SECRET_PARAMETER = new RegExp(
  `([?&;][^=&#\\s]*?(?:${SECRET_PARAMETER_PARTS.join('|')})[^=&#\\s]*=)[^&#\\s]*`,
  'gi',
)

/**
 * Removes credentials from text that may hold URLs: the password of every `scheme://`
 * userinfo (all of the userinfo when it has no user name) and the values of secret-like
 * query parameters. Works on text that is not a valid URL, such as a database URL whose
 * password holds an unescaped `@`, `/` or `#`: everything between `://` and the last `@`
 * before the next URL is userinfo, so a password cannot end it early.
 *
 * @example
 * ```ts
 * redactSecrets("database URL 'mysql://cw:p@ss/w#rd@db:3306' names no database")
 * // "database URL 'mysql://cw:***@db:3306' names no database"
 * redactSecrets('https://b.s3.example/k?X-Amz-Signature=abc&x=1') // 'https://b.s3.example/k?X-Amz-Signature=***&x=1'
 * ```
 */
export function redactSecrets(text: string): string {
  const starts = [...text.matchAll(SCHEME)].map((m) => ({
    scheme: m.index,
    authority: m.index + m[0].length,
  }))
  if (starts.length === 0) return text.replace(SECRET_PARAMETER, `$1${REDACTED}`)
  // A URL's text runs to the next URL that starts a word or a quoted or assigned value. One
  // that starts inside another (`p@ss:x://y` in a password) does not end it; nor does one
  // right after a URL that has no `@` and no space yet, so a password holding `'x://` still
  // ends at its own `@`.
  const urls = [starts[0]!]
  for (const start of starts.slice(1)) {
    if (!/[\s'"(<=,;]/.test(text[start.scheme - 1]!)) continue
    const between = text.slice(urls.at(-1)!.authority, start.scheme - 1)
    if (!between.includes('@') && !/\s/.test(between)) continue
    urls.push(start)
  }
  let out = text.slice(0, urls[0]!.scheme)
  for (const [i, url] of urls.entries()) {
    const end = urls[i + 1]?.scheme ?? text.length
    const rest = text.slice(url.authority, end)
    const at = rest.lastIndexOf('@')
    let authority = rest
    if (at !== -1) {
      const userinfo = rest.slice(0, at)
      const colon = userinfo.indexOf(':')
      // A user name alone may itself be a token (`https://ghp_x@host`): it goes too.
      authority = `${colon === -1 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`}${rest.slice(at)}`
    }
    out += text.slice(url.scheme, url.authority) + authority
  }
  return out.replace(SECRET_PARAMETER, `$1${REDACTED}`)
}
