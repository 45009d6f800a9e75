/**
 * Dataset declarations: how callwarden reaches the host's data. Retention, deletion
 * requests and exports all work from these, so a host with its own schema only writes
 * declarations.
 *
 * @module
 */
import { z } from 'zod'

/** The data categories of REQUIREMENTS.md §3; retention rules are set per category. */
export const DATA_CATEGORIES = ['agent_info', 'call_data', 'call_analytics', 'configuration', 'logs'] as const
/** One data category. */
export type DataCategory = (typeof DATA_CATEGORIES)[number]

/** What a subject column identifies. */
export const SUBJECT_KINDS = ['phone', 'agent'] as const
/** One subject kind. */
export type SubjectKind = (typeof SUBJECT_KINDS)[number]

/** Kinds of personal data a column can hold; logging and export redaction follow them. */
export const PII_KINDS = ['phone', 'free_text', 'dtmf', 'email', 'name'] as const
/** One PII kind. */
export type PiiKind = (typeof PII_KINDS)[number]

/** How a time column stores instants. */
export const TIME_FORMATS = ['epoch_ms', 'epoch_s', 'datetime'] as const
/** One time format. */
export type TimeFormat = (typeof TIME_FORMATS)[number]

/** The placeholder a per-tenant table template carries, e.g. `cdr_{tenant}`. */
export const TENANT_PLACEHOLDER = '{tenant}'

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a SQL identifier: letters, digits and _, at most 64')

const tableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\{tenant\}[A-Za-z0-9_]*)?$/,
    'must be a SQL identifier, optionally with one {tenant} placeholder (e.g. cdr_{tenant})',
  )
  .max(64)

/** The zod schema of one dataset declaration. */
export const datasetDeclarationSchema = z
  .object({
    /** A stable name, e.g. `service_records`. */
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower_snake_case, at most 64'),
    /** The table, or a per-tenant template such as `cdr_{tenant}`. */
    table: tableName,
    primaryKey: identifier,
    /** The column holding the tenant id; omit only for per-tenant templates. */
    tenantColumn: identifier.optional(),
    /** The column retention windows are measured on. */
    timeColumn: identifier,
    /** @defaultValue `'epoch_ms'` */
    timeFormat: z.enum(TIME_FORMATS).default('epoch_ms'),
    category: z.enum(DATA_CATEGORIES),
    /** Columns that identify the person the row is about (for deletion requests). */
    subjectColumns: z
      .array(z.object({ column: identifier, kind: z.enum(SUBJECT_KINDS) }).strict())
      .default([]),
    /** Columns holding personal data, with their kind. */
    piiColumns: z.array(z.object({ column: identifier, kind: z.enum(PII_KINDS) }).strict()).default([]),
    /** Columns holding object keys (recordings, voicemail) in the blob store. */
    blobKeyColumns: z.array(identifier).default([]),
    /** Columns encrypted with a per-tenant or per-subject data key. */
    encryptedColumns: z.array(identifier).default([]),
  })
  .strict()
  .superRefine((d, ctx) => {
    const templated = d.table.includes(TENANT_PLACEHOLDER)
    if (!templated && d.tenantColumn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenantColumn'],
        message: 'is required unless the table is a per-tenant template with {tenant}',
      })
    }
  })

/** A dataset declaration as written by a host (defaults optional). */
export type DatasetDeclarationInput = z.input<typeof datasetDeclarationSchema>
/** A validated dataset declaration. */
export type DatasetDeclaration = z.output<typeof datasetDeclarationSchema>

/** Every column a declaration names, with the field that names it. */
export function declaredColumns(d: DatasetDeclaration): { column: string; field: string }[] {
  return [
    { column: d.primaryKey, field: 'primaryKey' },
    ...(d.tenantColumn === undefined ? [] : [{ column: d.tenantColumn, field: 'tenantColumn' }]),
    { column: d.timeColumn, field: 'timeColumn' },
    ...d.subjectColumns.map((s) => ({ column: s.column, field: 'subjectColumns' })),
    ...d.piiColumns.map((p) => ({ column: p.column, field: 'piiColumns' })),
    ...d.blobKeyColumns.map((column) => ({ column, field: 'blobKeyColumns' })),
    ...d.encryptedColumns.map((column) => ({ column, field: 'encryptedColumns' })),
  ]
}

/** True when the dataset lives in one table per tenant. */
export function isTenantTemplate(d: Pick<DatasetDeclaration, 'table'>): boolean {
  return d.table.includes(TENANT_PLACEHOLDER)
}
