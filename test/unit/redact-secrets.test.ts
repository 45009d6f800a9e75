/**
 * Credentials never reach what callwarden shows: for generated passwords holding `@ : / ? #
 * %`, quotes and spaces, no part of the password appears in a configuration error, its cause
 * chain, a display URL or a log line; presigned-URL signatures and secret query values go
 * too; text without credentials is left alone.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { CallwardenError } from '../../src/errors.js'
import { redactSecrets } from '../../src/lib/redact-secrets.js'
import { redactUrl } from '../../src/lib/storage-urls.js'
import { createLogger } from '../../src/logger.js'

/** Pieces no message contains by chance, so any one of them showing up is a leak. */
const token = fc.stringMatching(/^[A-Z][A-Z0-9]{7}$/)
const special = fc
  .array(fc.constantFrom(...'@:/?#%&=+!$;,[] \'"'.split('')), { minLength: 1, maxLength: 3 })
  .map((chars) => chars.join(''))
/** A password: tokens joined by (and maybe starting or ending with) reserved characters. */
const password = fc
  .tuple(fc.option(special), fc.array(fc.tuple(token, special), { minLength: 1, maxLength: 4 }), token)
  .map(([lead, pairs, last]) => ({
    text: `${lead ?? ''}${pairs.map(([t, s]) => t + s).join('')}${last}`,
    tokens: [...pairs.map(([t]) => t), last],
  }))

const URL_TEMPLATES = [
  (pw: string) => ({ CALLWARDEN_DATABASE_URL: `mysql://cw:${pw}@db.example:3306/cw` }),
  (pw: string) => ({ CALLWARDEN_DATABASE_URL: `mysql://cw:${pw}@db.example:3306` }),
  (pw: string) => ({ CALLWARDEN_DATABASE_URL: `mysql://:${pw}@db.example/cw` }),
  (pw: string) => ({ CALLWARDEN_DATABASE_URL: `postgres://cw:${pw}@db.example/cw` }),
  (pw: string) => ({ CALLWARDEN_BLOB_URL: `s3://AKIDEXAMPLE:${pw}@recordings/calls?region=eu` }),
  (pw: string) => ({ CALLWARDEN_BLOB_URL: `s3://recordings?endpoint=http://u:${pw}@127.0.0.1:7480` }),
  (pw: string) => ({ CALLWARDEN_BLOB_URL: `s3://x?endpoint=http://u:${pw}@h&region=eu` }),
] as const

/** Every message and own property of an error and its causes, as text. */
function errorText(error: unknown): string {
  const parts: string[] = []
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 10; depth += 1) {
    parts.push(e instanceof Error ? `${e.message}\n${e.stack}` : String(e))
    try {
      parts.push(JSON.stringify(e))
    } catch {
      // circular: the message and stack are what is shown
    }
    e = (e as { cause?: unknown }).cause
  }
  return parts.join('\n')
}

const cwd = mkdtempSync(join(tmpdir(), 'cw-redact-'))

describe('secrets in errors', () => {
  it('a configuration error never shows any part of a URL password', () => {
    fc.assert(
      fc.property(password, fc.constantFrom(...URL_TEMPLATES), (pw, template) => {
        const env = template(pw.text)
        let shown: string
        try {
          const config = loadConfig({ env, cwd })
          shown = `${redactUrl(config.databaseUrl)}\n${redactUrl(config.blobUrl)}`
        } catch (error) {
          expect(error).toBeInstanceOf(CallwardenError)
          expect((error as CallwardenError).code).toBe('ERR_CONFIG_INVALID')
          shown = errorText(error)
        }
        for (const t of pw.tokens) expect(shown).not.toContain(t)
      }),
      { numRuns: 300 },
    )
  })

  it('redactSecrets removes passwords from URLs anywhere in text, parseable or not', () => {
    fc.assert(
      fc.property(
        password,
        fc.constantFrom('mysql', 's3', 'https', 'redis+tls'),
        fc.constantFrom('', "failed to open '", 'a (', 'x=', 'two urls: http://example.com/a and '),
        (pw, scheme, before) => {
          const text = `${before}${scheme}://admin:${pw.text}@host.example:99/path?q=1' and more text`
          const shown = redactSecrets(text)
          for (const t of pw.tokens) expect(shown).not.toContain(t)
          expect(shown).toContain("***@host.example:99/path?q=1' and more text")
          // A URL before it without credentials may lose its tail (redaction errs on the safe side).
          if (!before.includes('://')) expect(shown.startsWith(`${before}${scheme}://admin:***@`)).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('removes presigned-URL signatures and secret query values, keeps other parameters', () => {
    fc.assert(
      fc.property(fc.array(token, { minLength: 5, maxLength: 5 }), ([a, b, c, d, e]) => {
        const url =
          `https://bucket.s3.example/k.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${a}%2F20261208` +
          `&X-Amz-Signature=${b}&X-Amz-Security-Token=${c}&token=${d}&apiKey=${e}&expires=60`
        const shown = redactSecrets(`download ${url} now`)
        for (const t of [a, b, c, d, e]) expect(shown).not.toContain(t)
        expect(shown).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256')
        expect(shown).toContain('&expires=60 now')
      }),
    )
  })

  it('leaves text without credentials as it is', () => {
    for (const text of [
      'sqlite:./.callwarden/callwarden.db',
      'file:./.callwarden/blobs',
      's3://recordings/calls/?endpoint=http://127.0.0.1:7480&region=us-east-1',
      'https://crm.example.com/#?mobile=189****8352&type=phone',
      'contact ops@example.com about tenant acme',
      'mysql://cw@db.example/cw has no password',
    ]) {
      expect(redactSecrets(text)).toBe(text.replace('cw@db', '***@db'))
    }
  })

  it('log lines never show a URL password, in the message, fields or errors', () => {
    fc.assert(
      fc.property(password, (pw) => {
        const lines: string[] = []
        const destination = new Writable({
          write(chunk, _encoding, callback) {
            lines.push(String(chunk))
            callback()
          },
        })
        const log = createLogger({ destination })
        const url = `mysql://cw:${pw.text}@db.example/cw`
        log.warn({ target: { url }, urls: [url] }, `cannot reach ${url}`)
        log.error(new Error(`open ${url} failed`, { cause: new Error(url) }))
        log.error({ err: new CallwardenError('ERR_STORAGE_UNAVAILABLE', `down: ${url}`) }, 'store')
        const out = lines.join('')
        expect(lines).toHaveLength(3)
        for (const t of pw.tokens) expect(out).not.toContain(t)
        expect(out).toContain('cw:***@db.example')
      }),
      { numRuns: 100 },
    )
  })
})
