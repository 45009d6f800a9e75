/**
 * callwarden's structured logger (pino). Redaction is configured from the data map: every
 * column declared as personal data, every call-event field that carries a number or caller
 * input, and every field that carries a credential, is replaced by `[REDACTED]` at any of the
 * first three nesting levels before a line is written. Deeper nesting is not searched (pino
 * redaction paths are explicit), so log objects are kept shallow. Independently of field
 * names, every string logged (the message, values, error messages and stacks) has URL
 * passwords and secret query values removed by `redactSecrets`.
 *
 * @module
 */
import { pino, type DestinationStream, type Logger } from 'pino'
import { redactSecrets } from './lib/redact-secrets.js'

export type { Logger } from 'pino'

/** Fields that carry credentials, redacted whatever the data map says. */
export const SECRET_FIELDS = [
  'password',
  'secret',
  'secretAccessKey',
  'token',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'authorization',
  'dtmf',
  'privateKey',
  'dataKey',
  'ivrHashSecret',
  'signingKey',
] as const

/** Call-event fields that carry numbers or caller input, redacted whatever the data map says. */
export const CALL_EVENT_PII_FIELDS = [
  'caller',
  'callee',
  'customerNumber',
  'screenPopUrl',
  'mobile',
  'value',
  'valueHash',
] as const

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** @defaultValue `'info'` */
  readonly level?: string
  /** Field names holding personal data (from `DataMap.piiColumnNames()`). */
  readonly piiFields?: readonly string[]
  /** Where lines go. @defaultValue standard error */
  readonly destination?: DestinationStream
}

/**
 * Creates a redacting logger.
 *
 * @example
 * ```ts
 * const log = createLogger({ piiFields: dataMap.piiColumnNames() })
 * log.info({ record: { caller: '+8613988888888' } }, 'stored') // caller: "[REDACTED]"
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const fields = [...new Set([...SECRET_FIELDS, ...CALL_EVENT_PII_FIELDS, ...(options.piiFields ?? [])])]
  const paths = fields.flatMap((f) => {
    const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(f) ? f : `["${f}"]`
    return [key, `*.${key}`, `*.*.${key}`]
  })
  return pino(
    {
      level: options.level ?? 'info',
      // Not pino's usual `name`: a data map may declare `name` personal data, and it would be redacted.
      base: { service: 'callwarden' },
      redact: { paths, censor: '[REDACTED]' },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, args.map((arg) => redactStrings(arg, 0)) as Parameters<typeof method>)
        },
      },
    },
    options.destination ?? pino.destination(2),
  )
}

/** How deep {@link redactStrings} looks into logged objects; log objects are kept shallow. */
const STRING_REDACTION_DEPTH = 6

/**
 * A copy of a logged value with credentials removed from its strings. Errors become the
 * plain objects pino would have written for them, so their messages and stacks are covered.
 */
function redactStrings(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value)
  if (value === null || typeof value !== 'object' || depth >= STRING_REDACTION_DEPTH) return value
  if (value instanceof Error) {
    const plain: Record<string, unknown> = { type: value.name }
    for (const [key, v] of Object.entries(value)) plain[key] = redactStrings(v, depth + 1)
    plain.message = redactSecrets(value.message)
    if (value.stack !== undefined) plain.stack = redactSecrets(value.stack)
    if (value.cause !== undefined) plain.cause = redactStrings(value.cause, depth + 1)
    return plain
  }
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, depth + 1))
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return value
  const copy: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) copy[key] = redactStrings(v, depth + 1)
  return copy
}
