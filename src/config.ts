/**
 * callwarden's configuration: one zod schema with every default documented, loaded from
 * `callwarden.config.json` (or a path given with `--config`) and environment variables.
 * Precedence, lowest first: defaults, the file, the environment, explicit overrides.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import { ConfigInvalid, type InvalidField } from './errors.js'
import { datasetDeclarationSchema } from './store/data-map/dataset.js'
import { redactSecrets } from './lib/redact-secrets.js'
import { parseBlobUrl, parseDatabaseUrl } from './lib/storage-urls.js'
import { withoutByteOrderMark } from './lib/text-input.js'
import { TENANT_ID_PATTERN } from './lib/tenant-id.js'
import { MASK_STYLES, NUMBER_FORMATS } from './masking/mask-number.js'
import { uidEndpointSettingsSchema } from './masking/uid-mapping/uid-mapping-client.js'
import { callingHoursOverridesSchema } from './policy/calling-hours/calling-hours-overrides.js'
import { OUTBOUND_PURPOSES } from './pipeline/call-events.js'

/** How long a decision may wait for its checks, unless configured. */
export const DEFAULT_DECISION_DEADLINE_MS = 1000

/** The default embedded database. */
export const DEFAULT_DATABASE_URL = 'sqlite:./.callwarden/callwarden.db'
/** The default embedded object store. */
export const DEFAULT_BLOB_URL = 'file:./.callwarden/blobs'
/** The configuration file read when none is named. */
export const DEFAULT_CONFIG_FILE = 'callwarden.config.json'

/** Mask styles a tenant may choose (`none` is not one: an unmasked tenant uses protection mode `none`). */
const TENANT_MASK_STYLES = MASK_STYLES.filter((style) => style !== 'none') as [
  Exclude<(typeof MASK_STYLES)[number], 'none'>,
  ...Exclude<(typeof MASK_STYLES)[number], 'none'>[],
]

/** Where the embedded default keeps the secret IVR value hashes are keyed with. */
export const DEFAULT_IVR_HASH_SECRET_FILE = './.callwarden/ivr-hash-secret'

/** Where the embedded default keeps the audit signing key. */
export const DEFAULT_AUDIT_KEY_FILE = './.callwarden/audit-signing-key.json'

/** pino log levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const urlRefinement =
  (parse: (url: string) => unknown) =>
  (value: string, ctx: z.RefinementCtx): void => {
    try {
      parse(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
    }
  }

/** The configuration schema. Every field has a default; `{}` is a valid configuration. */
export const configSchema = z
  .object({
    /**
     * Where callwarden's tables (and, for the demo, the reference schema) live:
     * `sqlite:./path.db`, `sqlite::memory:` or `mysql://user:pass@host:port/db`.
     * Env: `CALLWARDEN_DATABASE_URL`.
     * @defaultValue `'sqlite:./.callwarden/callwarden.db'`
     */
    databaseUrl: z.string().default(DEFAULT_DATABASE_URL).superRefine(urlRefinement(parseDatabaseUrl)),
    /**
     * Where objects live: `file:./dir` or `s3://bucket[/prefix]?endpoint=...&region=...`
     * (credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`).
     * Env: `CALLWARDEN_BLOB_URL`.
     * @defaultValue `'file:./.callwarden/blobs'`
     */
    blobUrl: z.string().default(DEFAULT_BLOB_URL).superRefine(urlRefinement(parseBlobUrl)),
    /** S3 credentials; default to the AWS SDK's chain when absent. */
    s3Credentials: z
      .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
      .strict()
      .optional(),
    /**
     * Maximum connections of the MySQL pool.
     * @defaultValue 10
     */
    poolSize: z.number().int().min(1).max(200).default(10),
    /**
     * Create the reference contact-center schema when migrating, and declare its datasets.
     * @defaultValue true
     */
    referenceSchema: z.boolean().default(true),
    /**
     * The host's own dataset declarations (in addition to the reference ones when
     * `referenceSchema` is true).
     * @defaultValue `[]`
     */
    datasets: z.array(datasetDeclarationSchema).default([]),
    /**
     * Check the data map against the live schema at start (`ERR_DATAMAP_INVALID`).
     * @defaultValue true
     */
    validateDataMap: z.boolean().default(true),
    /** Logging. */
    log: z
      .object({
        /** @defaultValue `'info'` (env: `CALLWARDEN_LOG_LEVEL`) */
        level: z.enum(LOG_LEVELS).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    /** Pipelines. */
    pipeline: z
      .object({
        /**
         * Send allow decisions to observers too (denials always are).
         * @defaultValue false
         */
        observeAllows: z.boolean().default(false),
        /**
         * How long a decision may wait for its checks (a database read, a recorded attempt)
         * before the call is denied with `ERR_POLICY_UNAVAILABLE`, reason `deadline`. Checks
         * answered from memory take microseconds and a healthy database a few milliseconds;
         * a dialler or dial plan gives up after a few seconds, so one second leaves ample room
         * for a slow moment and still answers before the platform's own timeout would.
         * @defaultValue 1000
         */
        decisionDeadlineMs: z.number().int().min(1).max(60_000).default(DEFAULT_DECISION_DEADLINE_MS),
      })
      .strict()
      .default({ observeAllows: false, decisionDeadlineMs: DEFAULT_DECISION_DEADLINE_MS }),
    /** Call policy. */
    policy: z
      .object({
        /**
         * Refuse shared-cost numbers as well as premium-rate ones before dialling.
         * @defaultValue true
         */
        blockSharedCost: z.boolean().default(true),
        /**
         * How long a process answers per-call checks from its in-memory copy of a tenant
         * (status, region) and of a tenant's blacklist before checking, with one keyed read,
         * whether another process changed them; and how long a number's attempt counts, once
         * read, answer what-if runs and refusals (an attempt that may be allowed is always
         * judged in the database). Changes made through the same process take effect at once.
         * 0 reads on every call.
         * @defaultValue 1000
         */
        listRefreshMs: z.number().int().min(0).max(60_000).default(1000),
        /** Calling hours in the callee's local time. */
        callingHours: z
          .object({
            /**
             * Rule pack versions (all of one pack id; the version in force at a call's instant
             * applies). Validated when callwarden starts.
             * @defaultValue the shipped pack, `DEFAULT_RULE_PACK`
             */
            packs: z.array(z.unknown()).min(1).optional(),
            /**
             * How far ahead the next allowed time is searched.
             * @defaultValue 14
             */
            horizonDays: z.number().int().min(1).max(366).default(14),
            /**
             * Per tenant: its own windows per country, extra holidays and blackout dates. They
             * narrow statutory hours, never widen them.
             * @defaultValue `{}`
             */
            tenants: z
              .record(
                z.string().regex(TENANT_ID_PATTERN, `a tenant id matching ${TENANT_ID_PATTERN}`),
                callingHoursOverridesSchema,
              )
              .default({}),
          })
          .strict()
          .default({ horizonDays: 14, tenants: {} }),
        /** Do-not-call lists loaded at start-up (`cw.policy.dnc.load` adds or refreshes lists later). */
        dnc: z
          .object({
            lists: z
              .array(
                z
                  .object({
                    /** The list's name (letters, digits, `.`, `_`, `-`; at most 64). */
                    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
                    /** The file: one number per line, or CSV. */
                    file: z.string().min(1),
                    /** @defaultValue `'lines'` */
                    format: z.enum(['lines', 'csv']).optional(),
                    /** The CSV column holding the number (name or 0-based index). @defaultValue 0 */
                    column: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
                    /** The region national numbers are read in. */
                    region: z
                      .string()
                      .regex(/^[A-Z]{2}$/)
                      .optional(),
                    /** The owning tenant; leave it out for a list that applies to every tenant. */
                    tenantId: z.string().regex(TENANT_ID_PATTERN).optional(),
                    /** Fail start-up on any bad line. @defaultValue false */
                    strict: z.boolean().optional(),
                  })
                  .strict(),
              )
              .default([]),
          })
          .strict()
          .default({ lists: [] }),
        /** Attempt caps per number; `null` turns one off. */
        attemptCaps: z
          .object({
            /** @defaultValue 3 */
            perDay: z.number().int().min(1).nullable().optional(),
            /** @defaultValue 7 */
            perWeek: z.number().int().min(1).nullable().optional(),
            /** Per tenant id. @defaultValue `{}` */
            tenants: z
              .record(
                z.string().regex(TENANT_ID_PATTERN),
                z
                  .object({
                    perDay: z.number().int().min(1).nullable().optional(),
                    perWeek: z.number().int().min(1).nullable().optional(),
                  })
                  .strict(),
              )
              .default({}),
          })
          .strict()
          .default({ tenants: {} }),
        /** Which call purposes need a live consent. */
        consent: z
          .object({
            /** @defaultValue `['marketing']` */
            requiredFor: z.array(z.enum(OUTBOUND_PURPOSES)).optional(),
            /** Per tenant id. @defaultValue `{}` */
            tenants: z
              .record(
                z.string().regex(TENANT_ID_PATTERN),
                z.object({ requiredFor: z.array(z.enum(OUTBOUND_PURPOSES)) }).strict(),
              )
              .default({}),
          })
          .strict()
          .default({ tenants: {} }),
        /** The burst guard (the SLA excludes unannounced bursts of 5 calls per second or more). */
        burst: z
          .object({
            /** Calls per tenant in any one second. @defaultValue 4 */
            callsPerSecond: z.number().int().min(1).max(10_000).optional(),
            /** Dialling processes sharing each tenant's rate (each enforces its share). @defaultValue 1 */
            processes: z.number().int().min(1).max(1000).optional(),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({
        blockSharedCost: true,
        listRefreshMs: 1000,
        callingHours: { horizonDays: 14, tenants: {} },
        dnc: { lists: [] },
        attemptCaps: { tenants: {} },
        consent: { tenants: {} },
        burst: {},
      }),

    /** How numbers are shown (the protection mode itself is per tenant, in `cw_tenants`). */
    masking: z
      .object({
        /**
         * Mask style of tenants in `mask` mode, and of auditor views.
         * @defaultValue `'middle4'`
         */
        style: z.enum(TENANT_MASK_STYLES).default('middle4'),
        /**
         * How masked numbers are written: `national` (`189****8352`), `platform`
         * (`0086189****8352`) or `e164`.
         * @defaultValue `'national'`
         */
        format: z.enum(NUMBER_FORMATS).default('national'),
        /**
         * Per-tenant settings: a mask style, and the UID-mapping endpoint of tenants in
         * `uid` mode (`url`, `auth` as `{ type: 'basic', username, password }` or
         * `{ type: 'oauth2', tokenUrl, clientId, clientSecret, scope? }`, and the client's
         * batching, cache, timeout, retry and breaker settings).
         * @defaultValue `{}`
         */
        tenants: z
          .record(
            z.string().regex(TENANT_ID_PATTERN, `a tenant id matching ${TENANT_ID_PATTERN}`),
            z
              .object({
                style: z.enum(TENANT_MASK_STYLES).optional(),
                uidEndpoint: uidEndpointSettingsSchema.optional(),
              })
              .strict(),
          )
          .default({}),
        /**
         * The secret IVR value hashes are keyed with (base64, at least 32 bytes); each
         * tenant's key is derived from it. Wins over the file.
         * Env: `CALLWARDEN_IVR_HASH_SECRET`.
         */
        ivrHashSecret: z.string().min(1).optional(),
        /**
         * A file holding the IVR hash secret in base64.
         * @defaultValue `'./.callwarden/ivr-hash-secret'`
         */
        ivrHashSecretFile: z.string().min(1).default(DEFAULT_IVR_HASH_SECRET_FILE),
        /**
         * Create the secret file (mode 0600) when it is missing. Replicas must share one
         * secret: in production give `ivrHashSecret` and set this to false.
         * @defaultValue true
         */
        generateIvrHashSecret: z.boolean().default(true),
        /**
         * IVR variable names whose values are withheld entirely (stored as `[REDACTED]`, not
         * hashed), in addition to the PIN-, password- and one-time-code-like names withheld
         * by default; compared case-insensitively.
         * @defaultValue `[]`
         */
        ivrWithholdVariables: z.array(z.string().min(1).max(128)).max(1000).default([]),
      })
      .strict()
      .default({
        style: 'middle4',
        format: 'national',
        tenants: {},
        ivrHashSecretFile: DEFAULT_IVR_HASH_SECRET_FILE,
        generateIvrHashSecret: true,
        ivrWithholdVariables: [],
      }),
    /** The audit trail. */
    audit: z
      .object({
        /**
         * The checkpoint signing key: a private JWK (Ed25519 `OKP` or P-256 `EC`) with a `kid`.
         * Wins over `signingKeyFile`.
         */
        signingKey: z.record(z.string(), z.unknown()).optional(),
        /**
         * A file holding the signing key as a JWK. Env: `CALLWARDEN_AUDIT_SIGNING_KEY_FILE`.
         * @defaultValue `'./.callwarden/audit-signing-key.json'`
         */
        signingKeyFile: z.string().min(1).default(DEFAULT_AUDIT_KEY_FILE),
        /**
         * Create `signingKeyFile` (mode 0600, a new Ed25519 key) when it does not exist. Turn
         * off where several replicas must share one key.
         * @defaultValue true
         */
        generateSigningKey: z.boolean().default(true),
        /**
         * Public JWKs of earlier signing keys, published in the JWKS so that what they signed
         * still verifies.
         * @defaultValue `[]`
         */
        verificationKeys: z.array(z.record(z.string(), z.unknown())).default([]),
        /**
         * Days audit events are kept before retention may purge them.
         * @defaultValue 365
         */
        retentionDays: z.number().int().min(1).max(36_500).default(365),
        /**
         * Most events one group-commit transaction writes.
         * @defaultValue 1000
         */
        maxBatch: z.number().int().min(1).max(10_000).default(1000),
        checkpoint: z
          .object({
            /** @defaultValue 10000 — a checkpoint is due at this many unsigned events, and covers at most this many */
            everyEvents: z.number().int().min(1).max(1_000_000).default(10_000),
            /** @defaultValue 60 — a checkpoint is due once the oldest unsigned event is this many seconds old */
            intervalSeconds: z.number().int().min(1).max(86_400).default(60),
            /** @defaultValue `'*\/15 * * * * *'` — when the scheduler looks for due checkpoints (node-cron, with seconds) */
            cron: z.string().min(1).default('*/15 * * * * *'),
          })
          .strict()
          .default({ everyEvents: 10_000, intervalSeconds: 60, cron: '*/15 * * * * *' }),
        anchor: z
          .object({
            /** Where checkpoint anchors go; defaults to `blobUrl`. Use a bucket with Object Lock. */
            blobUrl: z.string().superRefine(urlRefinement(parseBlobUrl)).optional(),
            /** @defaultValue `'COMPLIANCE'` */
            lockMode: z.enum(['COMPLIANCE', 'GOVERNANCE', 'off']).default('COMPLIANCE'),
            /** @defaultValue 400 — days an anchor stays under Object Lock retention */
            retentionDays: z.number().int().min(1).max(36_500).default(400),
            /** @defaultValue true — store unlocked (and record that) when the bucket has no Object Lock */
            lockIfSupported: z.boolean().default(true),
          })
          .strict()
          .default({ lockMode: 'COMPLIANCE', retentionDays: 400, lockIfSupported: true }),
      })
      .strict()
      .default({
        signingKeyFile: DEFAULT_AUDIT_KEY_FILE,
        generateSigningKey: true,
        verificationKeys: [],
        retentionDays: 365,
        maxBatch: 1000,
        checkpoint: { everyEvents: 10_000, intervalSeconds: 60, cron: '*/15 * * * * *' },
        anchor: { lockMode: 'COMPLIANCE', retentionDays: 400, lockIfSupported: true },
      }),
  })
  .strict()

/** Configuration as written (every field optional). */
export type CallwardenConfigInput = z.input<typeof configSchema>
/** Validated configuration with defaults applied. */
export type CallwardenConfig = z.output<typeof configSchema>

/** Where {@link loadConfig} reads from. */
export interface LoadConfigOptions {
  /** A configuration file; when absent, `callwarden.config.json` in `cwd` if it exists. */
  readonly file?: string
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** @defaultValue `process.cwd()` */
  readonly cwd?: string
  /** Values that win over the file and the environment. */
  readonly overrides?: CallwardenConfigInput
}

/**
 * Reads, merges and validates configuration. Throws `ERR_CONFIG_INVALID` naming every
 * invalid field and what is allowed.
 *
 * @example
 * ```ts
 * const config = loadConfig({ env: { CALLWARDEN_DATABASE_URL: 'mysql://cw:pw@db:3306/cw' } })
 * config.blobUrl // 'file:./.callwarden/blobs'
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): CallwardenConfig {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const fromFile = readConfigFile(options.file, cwd)
  const fromEnv: Record<string, unknown> = {}
  if (env.CALLWARDEN_DATABASE_URL) fromEnv.databaseUrl = env.CALLWARDEN_DATABASE_URL
  if (env.CALLWARDEN_BLOB_URL) fromEnv.blobUrl = env.CALLWARDEN_BLOB_URL
  if (env.CALLWARDEN_IVR_HASH_SECRET) {
    fromEnv.masking = { ...(fromFile.masking as object), ivrHashSecret: env.CALLWARDEN_IVR_HASH_SECRET }
  }
  if (env.CALLWARDEN_LOG_LEVEL) fromEnv.log = { ...(fromFile.log as object), level: env.CALLWARDEN_LOG_LEVEL }
  if (env.CALLWARDEN_AUDIT_SIGNING_KEY_FILE) {
    fromEnv.audit = { ...(fromFile.audit as object), signingKeyFile: env.CALLWARDEN_AUDIT_SIGNING_KEY_FILE }
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    fromEnv.s3Credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
  }
  return parseConfig({ ...fromFile, ...fromEnv, ...options.overrides })
}

/**
 * Validates a configuration object; throws `ERR_CONFIG_INVALID` naming every bad field.
 * Messages show URLs and values only with their credentials redacted.
 */
export function parseConfig(input: unknown): CallwardenConfig {
  const parsed = configSchema.safeParse(input ?? {})
  if (parsed.success) return parsed.data
  const fields: InvalidField[] = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: redactSecrets(describeIssue(issue)),
  }))
  // Not the ZodError itself as the cause: its message repeats every issue unredacted.
  throw new ConfigInvalid(fields)
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.join(', ')}; allowed: ${allowedKeys(issue.path)}`
    case 'invalid_value':
      return `${issue.message}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    default:
      return issue.message
  }
}

function allowedKeys(path: readonly PropertyKey[]): string {
  let schema: z.ZodType = configSchema
  for (const segment of path) {
    const shape = unwrapObject(schema)?.shape as Record<string, z.ZodType> | undefined
    if (typeof segment === 'number' || shape === undefined) return '(see the configuration reference)'
    schema = shape[String(segment)]!
  }
  return Object.keys(unwrapObject(schema)?.shape ?? {}).join(', ')
}

function unwrapObject(schema: z.ZodType | undefined): z.ZodObject | undefined {
  let current: unknown = schema
  while (current !== undefined && !(current instanceof z.ZodObject)) {
    const inner = (current as { unwrap?: () => unknown }).unwrap
    if (typeof inner !== 'function') return undefined
    current = inner.call(current)
  }
  return current as z.ZodObject | undefined
}

function readConfigFile(file: string | undefined, cwd: string): Record<string, unknown> {
  const path = resolve(cwd, file ?? DEFAULT_CONFIG_FILE)
  if (file === undefined && !existsSync(path)) return {}
  let text: string
  try {
    text = withoutByteOrderMark(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new ConfigInvalid([{ path: '(file)', message: `cannot read configuration file ${path}` }], {
      cause,
    })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // Only where: the parser's message may quote the file around the error, secrets included.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1]
    const where = position === undefined ? '' : ` (${lineAndColumn(text, Number(position))})`
    throw new ConfigInvalid([{ path: '(file)', message: `${path} is not valid JSON${where}` }])
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigInvalid([{ path: '(file)', message: `${path} must hold a JSON object` }])
  }
  return value as Record<string, unknown>
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n')
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`
}
