/**
 * The per-tenant blacklist: add (by number, prefix or call id), remove, list, match, CSV
 * import and export. Every change is written in a transaction together with its audit event
 * (`blacklist.add` / `blacklist.remove`, target `{ type: 'blacklist-entry', id }`), so a
 * change without its record never commits. Audit events and error messages carry the entry
 * id, never the number.
 *
 * Roles: agents and admins add (an agent blacklists the caller of a call it handled, by call
 * id, without seeing the number); only admins remove, import and export; every role lists,
 * seeing numbers as the masking module's view rules allow.
 *
 * @module
 */
import type { Kysely, Transaction } from 'kysely'
import type { AuditEventInput } from '../../audit/audit-event.js'
import type { Clock } from '../../clock.js'
import { CallwardenError } from '../../errors.js'
import { NumberInvalid, normalizeNumber } from '../../masking/phone-number.js'
import {
  VIEWER_ROLES,
  type NumberView,
  type NumberViewKind,
  type Viewer,
  type ViewerRole,
  type ViewRequest,
} from '../../masking/number-protector.js'
import { REDACTION_LOCALES, type RedactionLocale } from '../../masking/redaction/redaction-kinds.js'
import { redactText } from '../../masking/redaction/redact-text.js'
import type { TenantScope } from '../../store/tenant-scope.js'
import { whenReady, type Awaitable } from '../../lib/awaitable.js'
import { newSortableId } from '../../lib/sortable-id.js'
import { assertTenantId } from '../../lib/tenant-id.js'
import { POLICY_TABLES, policyTenantDb } from '../policy-tables.js'
import { assertPolicyActor, policyActorOf } from '../policy-actor.js'
import {
  BLACKLIST_CSV_COLUMNS,
  formatCsvLine,
  fromSpreadsheetText,
  parseCsv,
  toSpreadsheetText,
} from './blacklist-csv.js'
import {
  BlacklistEntryInvalid,
  parseBlacklistDirection,
  parseBlacklistExpiry,
  parseBlacklistPattern,
  parseBlacklistReason,
  type BlacklistDirection,
  type BlacklistKind,
} from './blacklist-entry.js'
import { BlacklistSnapshots, type SnapshotEntry } from './blacklist-snapshot.js'
import { bumpListVersion, readListVersion } from '../../store/list-versions.js'
import { isDuplicateKeyError, isTransientLockError } from '../../store/dialect-helpers.js'
import { assertRequest } from '../../lib/request.js'

const TABLE = POLICY_TABLES.blacklist
/** The blacklist's name in `cw_list_versions`. */
const LIST_NAME = 'blacklist'
/** How often a change is tried when it meets a lock conflict. */
const CHANGE_ATTEMPTS = 3

/** The audit sink the blacklist writes through: it appends inside the change's transaction. */
export interface TransactionalAuditSink {
  append(event: AuditEventInput, options?: { readonly trx?: Transaction<any> }): Promise<unknown>
}

/** Where the customer number of a call is found (the data map's service-record dataset). */
export interface CallRecordSource {
  /** A scope over one tenant's data (`cw.scope`). */
  readonly scope: (tenantId: string) => TenantScope
  /** @defaultValue `'service_records'` */
  readonly dataset?: string
  /** @defaultValue `'call_id'` */
  readonly callIdColumn?: string
  /** Holds `inbound` or `outbound`. @defaultValue `'direction'` */
  readonly directionColumn?: string
  /** @defaultValue `'caller'` */
  readonly callerColumn?: string
  /** @defaultValue `'callee'` */
  readonly calleeColumn?: string
  /** The latest record of a call decides. @defaultValue `'started_at'` */
  readonly timeColumn?: string
}

/** Options of {@link BlacklistService}. */
export interface BlacklistServiceOptions {
  /** The database (guarded or not; the service adds its own tenant guard). */
  readonly db: Kysely<any>
  readonly audit: TransactionalAuditSink
  readonly clock: Clock
  /** The region a tenant's national numbers are read in. */
  readonly regionOf: (tenantId: string) => string | Promise<string>
  /** The masking module's view rules, for {@link BlacklistService.list}. */
  readonly protector: {
    view(request: ViewRequest): Promise<NumberView>
    withheld(number: string, defaultRegion?: string): NumberView
  }
  /** Where {@link BlacklistService.addByCallId} finds a call's customer number. */
  readonly callRecords?: CallRecordSource
  /**
   * How long matching trusts its in-memory copy of a tenant's list before checking (one
   * keyed read) whether another process changed it. Changes made through this service take
   * effect at once in this process. 0 checks on every match.
   * @defaultValue 1000
   */
  readonly refreshMs?: number
}

/** What {@link BlacklistService.add} takes. */
export interface AddBlacklistEntryRequest {
  readonly tenantId: string
  /** A number in any accepted notation, or an international prefix ending in `*` (`+1201*`). */
  readonly number: string
  /** @defaultValue `'both'` */
  readonly direction?: BlacklistDirection
  /** Why; free text, redacted (numbers, ids, cards) before it is stored. */
  readonly reason?: string
  /** When the entry stops matching; `Date` or ISO 8601. @defaultValue never */
  readonly expiresAt?: Date | string
  /** Who adds it (an admin or an agent). */
  readonly by: Viewer
  /** The call that led to the entry. */
  readonly sourceCallId?: string
}

/** What {@link BlacklistService.addByCallId} takes. */
export interface AddBlacklistByCallRequest {
  readonly tenantId: string
  /** The call whose customer (the caller of an inbound call, the callee of an outbound one) is blacklisted. */
  readonly callId: string
  /** @defaultValue `'both'` */
  readonly direction?: BlacklistDirection
  readonly reason?: string
  readonly expiresAt?: Date | string
  readonly by: Viewer
}

/** What an add did. The number is not part of it. */
export interface BlacklistChange {
  readonly id: string
  /** `unchanged` when an identical entry existed (nothing written, nothing audited). */
  readonly result: 'inserted' | 'updated' | 'unchanged'
  readonly kind: BlacklistKind
  readonly direction: BlacklistDirection
  readonly expiresAt?: Date
}

/** An entry as a viewer may see it. */
export interface BlacklistEntryView {
  readonly id: string
  /** The number (or prefix, ending in `*`) as the viewer may see it. */
  readonly number: string
  /** How `number` is shown: `real`, `masked`, `uid` or `withheld`. */
  readonly numberView: NumberViewKind
  readonly kind: BlacklistKind
  readonly direction: BlacklistDirection
  readonly reason?: string
  readonly addedBy: { readonly id: string; readonly role: string }
  readonly sourceCallId?: string
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly expiresAt?: Date
  /** True when the entry has expired (it no longer matches). */
  readonly expired: boolean
}

/** What {@link BlacklistService.list} takes. */
export interface ListBlacklistRequest {
  readonly tenantId: string
  readonly viewer: Viewer
  /** @defaultValue 50 (at most 500) */
  readonly limit?: number
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string
  /** @defaultValue false */
  readonly includeExpired?: boolean
}

/** A page of entries, oldest first. */
export interface BlacklistPage {
  readonly entries: readonly BlacklistEntryView[]
  /** Pass as `cursor` for the next page; absent on the last one. */
  readonly nextCursor?: string
}

/** The entry a number matched. */
export interface BlacklistMatch {
  readonly id: string
  readonly kind: BlacklistKind
  readonly direction: BlacklistDirection
  readonly reason?: string
  readonly expiresAt?: Date
}

/** One line of a CSV import that was not applied. */
export interface BlacklistImportError {
  /** The line number in the file (the header is line 1). */
  readonly line: number
  readonly code: string
  readonly message: string
}

/** What an import did, per line. */
export interface BlacklistImportReport {
  /** Data lines read (blank lines not counted). */
  readonly lines: number
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  /** The lines not applied; every other line was. */
  readonly errors: readonly BlacklistImportError[]
}

/** What {@link BlacklistService.importCsv} takes. */
export interface ImportBlacklistRequest {
  readonly tenantId: string
  /** CSV text (UTF-8) with the header `number,direction,reason,expires_at`. */
  readonly csv: string | Uint8Array
  /** An admin. */
  readonly by: Viewer
  /**
   * Valid lines applied per transaction.
   * @defaultValue 500
   */
  readonly batchSize?: number
}

interface Prepared {
  readonly kind: BlacklistKind
  readonly pattern: string
  readonly direction: BlacklistDirection
  readonly reason: string | undefined
  readonly expiresAt: number | undefined
  readonly sourceCallId: string | undefined
}

interface Row {
  tenant_id: string
  id: string
  kind: BlacklistKind
  pattern: string
  direction: BlacklistDirection
  reason: string | null
  added_by: string
  added_by_role: string
  source_call_id: string | null
  created_at: number | string
  updated_at: number | string
  expires_at: number | string | null
}

const ADD_ROLES: readonly ViewerRole[] = ['admin', 'agent']
const ADMIN_ROLES: readonly ViewerRole[] = ['admin']
const DEFAULT_LIST_LIMIT = 50
const MAX_LIST_LIMIT = 500
const ID_PATTERN = /^bl-[0-9a-z]{13}[0-9a-f]{8}$/

/**
 * The blacklist of every tenant (`cw.policy.blacklist`).
 *
 * @example
 * ```ts
 * const admin = { id: 'u-1', role: 'admin' } as const
 * const { id } = await cw.policy.blacklist.add({ tenantId: 'acme', number: '+8613988888888', reason: 'harassment', by: admin })
 * await cw.policy.blacklist.add({ tenantId: 'acme', number: '+1201*', direction: 'outbound', by: admin })
 * await cw.policy.blacklist.addByCallId({ tenantId: 'acme', callId: 'c-1', by: { id: 'agent-7', role: 'agent' } })
 * const page = await cw.policy.blacklist.list({ tenantId: 'acme', viewer: { id: 'agent-7', role: 'agent' } })
 * page.entries[0].number // '139****8888' in a mask-mode tenant
 * await cw.policy.blacklist.remove({ tenantId: 'acme', id, by: admin })
 * ```
 */
export class BlacklistService {
  readonly #options: BlacklistServiceOptions
  readonly #snapshots: BlacklistSnapshots

  constructor(options: BlacklistServiceOptions) {
    this.#options = options
    const db = options.db
    this.#snapshots = new BlacklistSnapshots({
      ...(options.refreshMs === undefined ? {} : { refreshMs: options.refreshMs }),
      source: {
        version: (tenantId) => readListVersion(db, tenantId, LIST_NAME),
        load: async (tenantId) => {
          const version = await readListVersion(db, tenantId, LIST_NAME)
          const rows = (await policyTenantDb(db, tenantId)
            .selectFrom(TABLE)
            .select(['id', 'kind', 'pattern', 'direction', 'reason', 'expires_at'])
            .where('tenant_id', '=', tenantId)
            .execute()) as Pick<Row, 'id' | 'kind' | 'pattern' | 'direction' | 'reason' | 'expires_at'>[]
          return {
            version,
            entries: rows.map((row) => ({
              id: row.id,
              kind: row.kind,
              pattern: row.pattern,
              direction: row.direction,
              reason: row.reason,
              expiresAt: row.expires_at === null ? null : Number(row.expires_at),
            })),
          }
        },
      },
    })
  }

  /** Adds (or updates) an entry for a number or prefix. Agents and admins. */
  async add(request: AddBlacklistEntryRequest): Promise<BlacklistChange> {
    assertRequest(request, 'blacklist.add')
    const { tenantId, by } = request
    assertTenantId(tenantId)
    assertPolicyActor(by, ADD_ROLES, 'add blacklist entries')
    const region = await this.#options.regionOf(tenantId)
    const prepared = this.#prepare(request, region)
    return this.#change(tenantId, (trx) => this.#apply(trx, tenantId, prepared, by, 'number'))
  }

  /**
   * Blacklists the customer of a call (the caller of an inbound call, the callee of an
   * outbound one) found in the service records, so that an agent who only saw a masked
   * number or a UID can do it. `ERR_CALL_NOT_FOUND` when the tenant has no such call.
   */
  async addByCallId(request: AddBlacklistByCallRequest): Promise<BlacklistChange> {
    assertRequest(request, 'blacklist.addByCallId')
    const { tenantId, callId, by } = request
    assertTenantId(tenantId)
    assertPolicyActor(by, ADD_ROLES, 'add blacklist entries')
    if (typeof callId !== 'string') throw new TypeError(`callId must be a string, got ${typeof callId}`)
    if (callId.length === 0 || callId.length > 128) {
      throw new BlacklistEntryInvalid('callId', 'allowed: a non-empty string of at most 128 characters')
    }
    const source = this.#options.callRecords
    if (source === undefined) {
      throw new CallwardenError(
        'ERR_CALL_NOT_FOUND',
        'no service-record dataset is configured to look calls up in',
      )
    }
    const c = {
      dataset: source.dataset ?? 'service_records',
      callId: source.callIdColumn ?? 'call_id',
      direction: source.directionColumn ?? 'direction',
      caller: source.callerColumn ?? 'caller',
      callee: source.calleeColumn ?? 'callee',
      time: source.timeColumn ?? 'started_at',
    }
    const record = (await source
      .scope(tenantId)
      .selectFrom(c.dataset)
      .where(c.callId, '=', callId)
      .select([c.direction, c.caller, c.callee])
      .orderBy(c.time, 'desc')
      .limit(1)
      .executeTakeFirst()) as Record<string, unknown> | undefined
    if (record === undefined) {
      throw new CallwardenError(
        'ERR_CALL_NOT_FOUND',
        `tenant '${tenantId}' has no service record of call '${callId}'`,
      )
    }
    const customer = record[record[c.direction] === 'outbound' ? c.callee : c.caller]
    const region = await this.#options.regionOf(tenantId)
    let number: string
    try {
      if (typeof customer !== 'string') throw new NumberInvalid('NOT_A_NUMBER', 'no number recorded')
      number = normalizeNumber(customer, { defaultRegion: region })
    } catch (error) {
      if (!(error instanceof NumberInvalid)) throw error
      throw new CallwardenError(
        'ERR_CALL_NOT_FOUND',
        `call '${callId}' holds no readable customer number (${error.problem})`,
        { cause: error },
      )
    }
    const prepared = this.#prepare({ ...request, number, sourceCallId: callId }, region)
    return this.#change(tenantId, (trx) => this.#apply(trx, tenantId, prepared, by, 'call'))
  }

  /** Removes an entry. Admins only; `ERR_BLACKLIST_ENTRY_NOT_FOUND` when the tenant has no such entry. */
  async remove(request: {
    readonly tenantId: string
    readonly id: string
    readonly by: Viewer
  }): Promise<void> {
    assertRequest(request, 'blacklist.remove')
    const { tenantId, id, by } = request
    assertTenantId(tenantId)
    assertPolicyActor(by, ADMIN_ROLES, 'remove blacklist entries')
    if (typeof id !== 'string') throw new TypeError(`id must be a string, got ${typeof id}`)
    await this.#change(tenantId, async (trx) => {
      const db = policyTenantDb(trx, tenantId)
      const row = (await db
        .selectFrom(TABLE)
        .select(['id', 'kind', 'direction'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()) as Pick<Row, 'id' | 'kind' | 'direction'> | undefined
      if (row === undefined) throw notFound(tenantId, id)
      await db.deleteFrom(TABLE).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
      await this.#options.audit.append(
        {
          tenantId,
          actor: policyActorOf(by),
          action: 'blacklist.remove',
          target: { type: 'blacklist-entry', id },
          outcome: 'success',
          details: { kind: row.kind, direction: row.direction },
        },
        { trx },
      )
    })
  }

  /**
   * The entry that blocks `e164` for calls in `direction` at `at`, if any: an exact entry
   * first, else the longest matching prefix. Entries expired at `at` do not match. Answered
   * from this process's copy of the list (see {@link BlacklistServiceOptions.refreshMs}).
   */
  async match(
    tenantId: string,
    e164: string,
    direction: 'inbound' | 'outbound',
    at: Date = this.#options.clock.now(),
  ): Promise<BlacklistMatch | undefined> {
    return this.matchNow(tenantId, e164, direction, at)
  }

  /**
   * {@link match} for hot paths: the answer itself when this process's copy of the list is
   * fresh, a promise of it only when the copy has to be refreshed first.
   *
   * @example
   * ```ts
   * const entry = await cw.policy.blacklist.matchNow('acme', '+8613988888888', 'inbound') // await works on both
   * ```
   */
  matchNow(
    tenantId: string,
    e164: string,
    direction: 'inbound' | 'outbound',
    at: Date = this.#options.clock.now(),
  ): Awaitable<BlacklistMatch | undefined> {
    assertTenantId(tenantId)
    if (typeof e164 !== 'string' || !E164_PATTERN.test(e164)) {
      throw new TypeError('match() takes a number in E.164')
    }
    return whenReady(this.#snapshots.match(tenantId, e164, direction, at), toMatch)
  }

  /**
   * A page of the tenant's entries, oldest first, each number shown as the viewer may see it
   * (admins: real, an audited unmask in `mask`/`uid` tenants; agents: per protection mode;
   * auditors: masked). Prefixes are shown real to admins and withheld from everyone else.
   */
  async list(request: ListBlacklistRequest): Promise<BlacklistPage> {
    assertRequest(request, 'blacklist.list')
    const { tenantId, viewer } = request
    assertTenantId(tenantId)
    assertPolicyActor(viewer, VIEWER_ROLES, 'list the blacklist')
    const limit = request.limit ?? DEFAULT_LIST_LIMIT
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${limit}`)
    }
    if (
      request.cursor !== undefined &&
      (typeof request.cursor !== 'string' || !ID_PATTERN.test(request.cursor))
    ) {
      throw new BlacklistEntryInvalid('id', 'the cursor is not one this service returned')
    }
    const now = this.#options.clock.now().getTime()
    let query = policyTenantDb(this.#options.db, tenantId)
      .selectFrom(TABLE)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .limit(limit + 1)
    if (request.cursor !== undefined) query = query.where('id', '>', request.cursor)
    if (request.includeExpired !== true) {
      query = query.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    }
    const rows = (await query.execute()) as Row[]
    const page = rows.slice(0, limit)
    const region = await this.#options.regionOf(tenantId)
    const entries = await Promise.all(page.map((row) => this.#view(row, tenantId, viewer, region, now)))
    return {
      entries,
      ...(rows.length > limit ? { nextCursor: page.at(-1)!.id } : {}),
    }
  }

  /**
   * Applies a CSV file (header `number,direction,reason,expires_at`). Every line is checked
   * on its own: bad lines are reported (line number, code, message) and skipped, valid lines
   * are applied in transactions of `batchSize` lines, each with its audit events. Importing
   * the same file again changes nothing (`unchanged`). Admins only.
   */
  async importCsv(request: ImportBlacklistRequest): Promise<BlacklistImportReport> {
    assertRequest(request, 'blacklist.importCsv')
    const { tenantId, by } = request
    assertTenantId(tenantId)
    assertPolicyActor(by, ADMIN_ROLES, 'import blacklist entries')
    const batchSize = request.batchSize ?? 500
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new RangeError(`batchSize must be a whole number from 1 to 10000, got ${batchSize}`)
    }
    const text =
      typeof request.csv === 'string'
        ? request.csv
        : request.csv instanceof Uint8Array
          ? Buffer.from(request.csv).toString('utf8')
          : undefined
    if (text === undefined) throw new TypeError('csv must be a string or bytes')
    const records = parseCsv(text)
    const header = records.shift()
    const columns = header?.fields.map((f) => f.trim().toLowerCase())
    if (
      header === undefined ||
      header.problem !== undefined ||
      columns?.join(',') !== BLACKLIST_CSV_COLUMNS.join(',')
    ) {
      throw new CallwardenError(
        'ERR_BLACKLIST_ENTRY_INVALID',
        `the CSV header must be '${BLACKLIST_CSV_COLUMNS.join(',')}'`,
      )
    }
    const region = await this.#options.regionOf(tenantId)
    const errors: BlacklistImportError[] = []
    const valid: Prepared[] = []
    const seen = new Map<string, number>()
    for (const record of records) {
      const fail = (code: string, message: string): void => {
        errors.push({ line: record.line, code, message })
      }
      if (record.problem !== undefined) {
        fail('ERR_BLACKLIST_ENTRY_INVALID', record.problem)
        continue
      }
      if (record.fields.length !== BLACKLIST_CSV_COLUMNS.length) {
        fail(
          'ERR_BLACKLIST_ENTRY_INVALID',
          `expected ${BLACKLIST_CSV_COLUMNS.length} fields (${BLACKLIST_CSV_COLUMNS.join(',')}), got ${record.fields.length}`,
        )
        continue
      }
      const [number, direction, quotedReason, expiresAt] = record.fields as [string, string, string, string]
      const reason = fromSpreadsheetText(quotedReason)
      try {
        const prepared = this.#prepare(
          {
            number,
            direction: direction.trim() as BlacklistDirection,
            reason,
            expiresAt: expiresAt.trim(),
          },
          region,
        )
        const key = `${prepared.kind}:${prepared.pattern}`
        const earlier = seen.get(key)
        if (earlier !== undefined) {
          fail('ERR_BLACKLIST_ENTRY_INVALID', `the same number or prefix as line ${earlier}; line skipped`)
          continue
        }
        seen.set(key, record.line)
        valid.push(prepared)
      } catch (error) {
        if (!(error instanceof CallwardenError)) throw error
        fail(error.code, error.message)
      }
    }
    const counts = { inserted: 0, updated: 0, unchanged: 0 }
    for (let start = 0; start < valid.length; start += batchSize) {
      const batch = valid.slice(start, start + batchSize)
      const results = await this.#change(tenantId, async (trx) => {
        const done: BlacklistChange['result'][] = []
        for (const prepared of batch)
          done.push((await this.#apply(trx, tenantId, prepared, by, 'import')).result)
        return done
      })
      for (const result of results) counts[result] += 1
    }
    return { lines: records.length, ...counts, errors }
  }

  /**
   * The tenant's active entries as CSV (the import format; prefixes end in `*`), with real
   * numbers: admins only, recorded as an `export.create` event before anything is returned.
   */
  async exportCsv(request: { readonly tenantId: string; readonly by: Viewer }): Promise<string> {
    assertRequest(request, 'blacklist.exportCsv')
    const { tenantId, by } = request
    assertTenantId(tenantId)
    assertPolicyActor(by, ADMIN_ROLES, 'export the blacklist')
    const now = this.#options.clock.now().getTime()
    const db = policyTenantDb(this.#options.db, tenantId)
    const lines = [BLACKLIST_CSV_COLUMNS.join(',')]
    let cursor = ''
    for (;;) {
      const rows = (await db
        .selectFrom(TABLE)
        .select(['id', 'kind', 'pattern', 'direction', 'reason', 'expires_at'])
        .where('tenant_id', '=', tenantId)
        .where('id', '>', cursor)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('id')
        .limit(1000)
        .execute()) as Row[]
      for (const row of rows) {
        lines.push(
          formatCsvLine([
            row.kind === 'prefix' ? `${row.pattern}*` : row.pattern,
            row.direction,
            toSpreadsheetText(row.reason ?? ''),
            row.expires_at === null ? '' : new Date(Number(row.expires_at)).toISOString(),
          ]),
        )
      }
      if (rows.length < 1000) break
      cursor = rows.at(-1)!.id
    }
    await this.#options.audit.append({
      tenantId,
      actor: policyActorOf(by),
      action: 'export.create',
      target: { type: 'blacklist', id: tenantId },
      outcome: 'success',
      details: { format: 'csv', entries: lines.length - 1 },
    })
    return `${lines.join('\n')}\n`
  }

  #prepare(
    input: {
      readonly number: string
      readonly direction?: BlacklistDirection
      readonly reason?: string
      readonly expiresAt?: Date | string
      readonly sourceCallId?: string
    },
    region: string,
  ): Prepared {
    const { kind, pattern } = parseBlacklistPattern(input.number, region)
    const reason = parseBlacklistReason(input.reason)
    if (
      input.sourceCallId !== undefined &&
      (typeof input.sourceCallId !== 'string' || input.sourceCallId.length > 128)
    ) {
      throw new BlacklistEntryInvalid('callId', 'allowed: a string of at most 128 characters')
    }
    return {
      kind,
      pattern,
      direction: parseBlacklistDirection(input.direction),
      // A reason is free text typed by people: numbers, ids and card numbers in it are redacted.
      reason: reason === undefined ? undefined : redactText(reason, { locale: redactionLocale(region) }).text,
      expiresAt: parseBlacklistExpiry(input.expiresAt, this.#options.clock.now()),
      sourceCallId: input.sourceCallId === '' ? undefined : input.sourceCallId,
    }
  }

  async #apply(
    trx: Transaction<any>,
    tenantId: string,
    p: Prepared,
    by: Viewer,
    via: 'number' | 'call' | 'import',
  ): Promise<BlacklistChange> {
    const db = policyTenantDb(trx, tenantId)
    const now = this.#options.clock.now().getTime()
    const existing = (await db
      .selectFrom(TABLE)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('pattern', '=', p.pattern)
      .where('kind', '=', p.kind)
      .executeTakeFirst()) as Row | undefined
    const change = (id: string, result: BlacklistChange['result']): BlacklistChange => ({
      id,
      result,
      kind: p.kind,
      direction: p.direction,
      ...(p.expiresAt === undefined ? {} : { expiresAt: new Date(p.expiresAt) }),
    })
    let id: string
    let result: BlacklistChange['result']
    if (existing !== undefined) {
      id = existing.id
      const same =
        existing.direction === p.direction &&
        (existing.reason ?? undefined) === p.reason &&
        (existing.expires_at === null ? undefined : Number(existing.expires_at)) === p.expiresAt
      if (same) return change(id, 'unchanged')
      await db
        .updateTable(TABLE)
        .set({
          direction: p.direction,
          reason: p.reason ?? null,
          expires_at: p.expiresAt ?? null,
          added_by: by.id,
          added_by_role: by.role,
          source_call_id: p.sourceCallId ?? existing.source_call_id,
          updated_at: now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute()
      result = 'updated'
    } else {
      id = newSortableId('bl', now)
      await db
        .insertInto(TABLE)
        .values({
          tenant_id: tenantId,
          id,
          kind: p.kind,
          pattern: p.pattern,
          direction: p.direction,
          reason: p.reason ?? null,
          added_by: by.id,
          added_by_role: by.role,
          source_call_id: p.sourceCallId ?? null,
          created_at: now,
          updated_at: now,
          expires_at: p.expiresAt ?? null,
        })
        .execute()
      result = 'inserted'
    }
    await this.#options.audit.append(
      {
        tenantId,
        actor: policyActorOf(by),
        action: 'blacklist.add',
        target: { type: 'blacklist-entry', id },
        outcome: 'success',
        details: {
          result,
          via,
          kind: p.kind,
          direction: p.direction,
          ...(p.expiresAt === undefined ? {} : { expiresAt: new Date(p.expiresAt).toISOString() }),
          ...(p.sourceCallId === undefined ? {} : { callId: p.sourceCallId }),
        },
      },
      { trx },
    )
    return change(id, result)
  }

  async #view(
    row: Row,
    tenantId: string,
    viewer: Viewer,
    region: string,
    now: number,
  ): Promise<BlacklistEntryView> {
    let shown: NumberView
    if (row.kind === 'exact') {
      shown = await this.#options.protector.view({ tenantId, number: row.pattern, viewer })
    } else if (viewer.role === 'admin') {
      shown = await this.#options.protector.view({ tenantId, number: row.pattern, viewer })
    } else {
      shown = this.#options.protector.withheld(row.pattern, region)
    }
    const expiresAt = row.expires_at === null ? undefined : Number(row.expires_at)
    return {
      id: row.id,
      number: row.kind === 'prefix' ? `${shown.text}*` : shown.text,
      numberView: shown.kind,
      kind: row.kind,
      direction: row.direction,
      ...(row.reason === null ? {} : { reason: row.reason }),
      addedBy: { id: row.added_by, role: row.added_by_role },
      ...(row.source_call_id === null ? {} : { sourceCallId: row.source_call_id }),
      createdAt: new Date(Number(row.created_at)),
      updatedAt: new Date(Number(row.updated_at)),
      ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt) }),
      expired: expiresAt !== undefined && expiresAt <= now,
    }
  }

  #transaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.#options.db.transaction().execute(fn)
  }

  /**
   * Runs a change of the tenant's list in one transaction that first bumps the list's version,
   * then drops this process's copy. Bumping first locks the version row, so changes of one
   * tenant's list run one after another (two concurrent adds of the same new number: the
   * second finds the first's row); other processes reload their copies when they see the new
   * version. A lock conflict or a duplicate key (the version row's first insert) runs the
   * transaction again, up to {@link CHANGE_ATTEMPTS} times.
   */
  async #change<T>(tenantId: string, fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await this.#transaction(async (trx) => {
            await bumpListVersion(trx, tenantId, LIST_NAME)
            return fn(trx)
          })
        } catch (error) {
          const retry = isDuplicateKeyError(error) || isTransientLockError(error)
          if (!retry || attempt >= CHANGE_ATTEMPTS) throw error
        }
      }
    } finally {
      this.#snapshots.invalidate(tenantId)
    }
  }
}

function notFound(tenantId: string, id: string): CallwardenError {
  return new CallwardenError(
    'ERR_BLACKLIST_ENTRY_NOT_FOUND',
    `tenant '${tenantId}' has no blacklist entry '${String(id).slice(0, 64)}'`,
  )
}

function redactionLocale(region: string): RedactionLocale {
  return (REDACTION_LOCALES as readonly string[]).includes(region) ? (region as RedactionLocale) : 'CN'
}

const E164_PATTERN = /^\+[1-9]\d{1,14}$/

function toMatch(entry: SnapshotEntry | undefined): BlacklistMatch | undefined {
  if (entry === undefined) return undefined
  return {
    id: entry.id,
    kind: entry.kind,
    direction: entry.direction,
    ...(entry.reason === null ? {} : { reason: entry.reason }),
    ...(entry.expiresAt === null ? {} : { expiresAt: new Date(entry.expiresAt) }),
  }
}
