/**
 * The do-not-call registry: named lists of numbers held in memory, global (a national
 * registry, applied to every tenant) or owned by one tenant (its internal list), loaded from
 * files or streams in full or as change files, and looked up at dial time.
 *
 * @module
 */
import { isSupportedCountry } from 'libphonenumber-js/max'
import type { AuditActor, AuditSink } from '../../audit/audit-event.js'
import type { Clock } from '../../clock.js'
import { CallwardenError } from '../../errors.js'
import { assertTenantId } from '../../lib/tenant-id.js'
import { E164Set, E164ValueCollector, e164Value } from './e164-set.js'
import {
  DNC_LOAD_MODES,
  DncList,
  changedState,
  replacedState,
  type DncListState,
  type DncLoadMode,
  type DncMatch,
  type DncScope,
} from './dnc-list.js'
import { BLANK, DncNumberReader, resultProblem, type DncLineProblem } from './dnc-number-reader.js'
import { DNC_LIST_FORMATS, readDncSource, type DncListFormat, type DncListSource } from './dnc-source.js'
import { assertRequest } from '../../lib/request.js'

/** What a list name looks like: 1–64 letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const DNC_LIST_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** A do-not-call list, a load request or a line of a list is malformed. Never holds a number. */
export class DncListInvalid extends CallwardenError {
  /** The list's name, as given (cut to 64 characters). */
  readonly list: string
  /** The line that failed a strict load, if that was the problem. */
  readonly line: number | undefined
  /** What was wrong with that line. */
  readonly problem: DncLineProblem | undefined

  constructor(list: string, message: string, line?: { line: number; problem: DncLineProblem }) {
    super('ERR_DNC_LIST_INVALID', `do-not-call list '${list}': ${message}`)
    this.name = 'DncListInvalid'
    this.list = list
    this.line = line?.line
    this.problem = line?.problem
  }
}

/** Options of {@link DncRegistry}. */
export interface DncRegistryOptions {
  /** Stamps each version's `loadedAt`. */
  readonly clock: Clock
  /** Records every load and drop (`config.change`, details `{ kind: 'dnc.load' | 'dnc.drop', ... }`). */
  readonly audit: AuditSink
  /**
   * The audit trail (tenant id) that records changes of global lists.
   * @defaultValue `'system'`
   */
  readonly globalAuditTenantId?: string
}

/** What {@link DncRegistry.load} is asked to do. */
export interface DncLoadRequest {
  /** The list's name ({@link DNC_LIST_NAME_PATTERN}); one namespace for global lists, one per tenant. */
  readonly list: string
  /** The tenant that owns the list; leave it out for a global list. */
  readonly tenantId?: string
  /** A file path, the file's bytes, or an iterable of lines or byte chunks (a stream). */
  readonly source: DncListSource
  /**
   * `lines` (one number a line) or `csv` (a header line, then records).
   * @defaultValue `'lines'`
   */
  readonly format?: DncListFormat
  /**
   * The CSV column holding the number: its header name (case-insensitive) or index from 0.
   * @defaultValue `0`
   */
  readonly column?: string | number
  /**
   * The region national numbers are read in (ISO 3166-1 alpha-2). Without it only
   * international numbers (`+…`, `00…`) are accepted.
   */
  readonly region?: string
  /**
   * `replace` builds a new version aside and swaps it in; `add` and `remove` apply a change
   * file to the version in force.
   * @defaultValue `'replace'`
   */
  readonly mode?: DncLoadMode
  /**
   * Fail the load (`ERR_DNC_LIST_INVALID`) at the first bad line instead of skipping it.
   * @defaultValue false
   */
  readonly strict?: boolean
  /**
   * Allow a `replace` that leaves the list empty (a truncated download otherwise wipes a
   * national registry without anyone noticing).
   * @defaultValue false
   */
  readonly allowEmpty?: boolean
  /**
   * How many bad lines the report lists (all are counted).
   * @defaultValue 100
   */
  readonly maxProblems?: number
  /** Who loads the list, for the audit trail. @defaultValue `{ id: 'system', role: 'system' }` */
  readonly by?: AuditActor
  /** Stops the load; the version in force stays. */
  readonly signal?: AbortSignal
}

/** A bad line: its number (1-based, the CSV header is line 1) and what was wrong. Never its content. */
export interface DncLineReport {
  readonly line: number
  readonly problem: DncLineProblem
}

/** What a load did. */
export interface DncLoadReport {
  readonly list: string
  readonly tenantId?: string
  /** The list's version now in force. */
  readonly version: number
  readonly mode: DncLoadMode
  /** Lines read as numbers (duplicates included). */
  readonly accepted: number
  /** Bad lines, skipped. */
  readonly rejected: number
  /** The first `maxProblems` bad lines. */
  readonly problems: readonly DncLineReport[]
  /** Distinct numbers in the list now. */
  readonly size: number
  readonly loadedAt: Date
  /** Lines that needed a full libphonenumber parse (the rest took the fast path). */
  readonly parsedInFull: number
}

/** One list as {@link DncRegistry.lists} describes it. */
export interface DncListInfo {
  readonly list: string
  readonly scope: DncScope
  readonly tenantId?: string
  readonly size: number
  readonly version: number
  readonly loadedAt: Date
  /** Memory held by the list's typed arrays. */
  readonly bytes: number
  /** Changes applied since the last full build, not yet folded into it. */
  readonly overlay: { readonly additions: number; readonly removals: number }
}

const SYSTEM: AuditActor = Object.freeze({ id: 'system', role: 'system' })
const ABORT_CHECK_EVERY = 1 << 20

/**
 * Do-not-call lists in memory, checked at dial time by the {@link dnc} middleware.
 *
 * - **Exact**: each list is an exact set of E.164 numbers (about 2 bytes a number for a
 *   national list, at most about 4.5 for scattered numbers; no
 *   false positives), plus an overlay of additions and removals for change files.
 * - **Scoped**: a tenant's lookup sees the global lists and its own lists, never another
 *   tenant's.
 * - **Atomic**: a load builds its version aside and swaps it in; a load that fails (bad
 *   line in strict mode, unreadable file, aborted) leaves the version in force untouched.
 *   Loads of one list run one after another.
 * - **Audited**: every load and drop is recorded (`config.change`) before it takes effect;
 *   the details name the list, mode, counts and version, never a number.
 *
 * @example
 * ```ts
 * const dnc = new DncRegistry({ clock: systemClock, audit: cw.audit })
 * await dnc.load({ list: 'us-national', source: '/data/dnc/us-full.txt', region: 'US' })
 * await dnc.load({ list: 'us-national', source: '/data/dnc/us-2030-03-01-add.txt', region: 'US', mode: 'add' })
 * await dnc.load({ list: 'internal', tenantId: 'acme', source: csvBytes, format: 'csv', column: 'phone', region: 'CN' })
 * dnc.match('acme', '+12015550123') // { list: 'us-national', scope: 'global' } or undefined
 * ```
 */
export class DncRegistry {
  readonly #options: DncRegistryOptions
  readonly #global = new Map<string, DncList>()
  readonly #tenants = new Map<string, Map<string, DncList>>()
  /** What lookups walk: rebuilt when a list is added or dropped. */
  #globalLists: readonly DncList[] = []
  readonly #tenantLists = new Map<string, readonly DncList[]>()
  /** The last version of each list, kept after a drop so versions never repeat. */
  readonly #versions = new Map<string, number>()
  /** Loads and drops of one list, one after another. */
  readonly #queues = new Map<string, Promise<unknown>>()

  constructor(options: DncRegistryOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object')
    if (typeof options.clock?.now !== 'function') throw new TypeError('options.clock must be a Clock')
    if (typeof options.audit?.append !== 'function') throw new TypeError('options.audit must be an AuditSink')
    if (options.globalAuditTenantId !== undefined) assertTenantId(options.globalAuditTenantId)
    this.#options = options
  }

  /**
   * The list that holds `number` among the global lists and `tenantId`'s own, or
   * `undefined`. `number` is a parsed number (`{ e164 }`) or an E.164 string. Allocates
   * nothing.
   */
  match(tenantId: string, number: { readonly e164: string } | string): DncMatch | undefined {
    const e164 = typeof number === 'string' ? number : number?.e164
    const value = typeof e164 === 'string' ? e164Value(e164) : -1
    if (value < 0) throw new TypeError('match() takes a parsed number or an E.164 string (+ and digits)')
    const global = this.#globalLists
    for (let i = 0; i < global.length; i++) if (global[i]!.has(value)) return global[i]!.match
    // No tenant lists at all (a registry of national lists only): skip the map lookup.
    if (this.#tenantLists.size === 0) return undefined
    const own = this.#tenantLists.get(tenantId)
    if (own !== undefined) for (let i = 0; i < own.length; i++) if (own[i]!.has(value)) return own[i]!.match
    return undefined
  }

  /** The global lists, and with `tenantId` that tenant's own lists too. */
  lists(tenantId?: string): DncListInfo[] {
    if (tenantId !== undefined) assertTenantId(tenantId)
    const lists = [
      ...this.#global.values(),
      ...(tenantId === undefined ? [] : (this.#tenants.get(tenantId)?.values() ?? [])),
    ]
    return lists.map((l) => {
      const s = l.state
      return {
        list: l.name,
        scope: l.match.scope,
        ...(l.tenantId === undefined ? {} : { tenantId: l.tenantId }),
        size: s.size,
        version: s.version,
        loadedAt: s.loadedAt,
        bytes: l.bytes,
        overlay: { additions: s.additions.size, removals: s.removals.size },
      }
    })
  }

  /**
   * Loads a list in full (`replace`) or applies a change file (`add`, `remove`). Bad lines
   * are counted and reported by line number (never their content) and skipped, or fail the
   * load with `strict`. Throws `ERR_DNC_LIST_INVALID` ({@link DncListInvalid}) for a bad
   * request, an unreadable source, a CSV without the column, a bad line in strict mode, or a
   * `replace` that would leave the list empty; the version in force then stays.
   */
  async load(request: DncLoadRequest): Promise<DncLoadReport> {
    assertRequest(request, 'dnc.load')
    if (request === null || typeof request !== 'object')
      throw new TypeError('a load request must be an object')
    const { list, tenantId } = request
    checkName(list)
    if (tenantId !== undefined) assertTenantId(tenantId)
    const format = request.format ?? 'lines'
    if (!(DNC_LIST_FORMATS as readonly string[]).includes(format)) {
      throw new DncListInvalid(list, `format must be one of ${DNC_LIST_FORMATS.join(', ')}`)
    }
    const mode = request.mode ?? 'replace'
    if (!(DNC_LOAD_MODES as readonly string[]).includes(mode)) {
      throw new DncListInvalid(list, `mode must be one of ${DNC_LOAD_MODES.join(', ')}`)
    }
    const column = request.column
    if (column !== undefined) {
      if (format !== 'csv') throw new DncListInvalid(list, "column applies to format 'csv' only")
      if (typeof column === 'number' ? !Number.isInteger(column) || column < 0 : typeof column !== 'string') {
        throw new DncListInvalid(list, 'column must be a header name or a whole number from 0')
      }
    }
    const region = request.region
    if (
      region !== undefined &&
      (typeof region !== 'string' || !/^[A-Z]{2}$/.test(region) || !isSupportedCountry(region))
    ) {
      throw new DncListInvalid(
        list,
        "region must be an ISO 3166-1 alpha-2 code with a numbering plan, such as 'US' or 'CN'",
      )
    }
    const maxProblems = request.maxProblems ?? 100
    if (!Number.isInteger(maxProblems) || maxProblems < 0) {
      throw new RangeError(`maxProblems must be a whole number from 0, got ${maxProblems}`)
    }
    const key = listKey(list, tenantId)
    return this.#serial(key, async () => {
      const existing = this.#find(list, tenantId)
      if (mode === 'remove' && existing === undefined) {
        throw new DncListInvalid(
          list,
          "is not loaded; load it with mode 'replace' (or 'add') before removing numbers",
        )
      }
      const version = (this.#versions.get(key) ?? 0) + 1
      let accepted = 0
      let rejected = 0
      const problems: DncLineReport[] = []
      try {
        const collector = new E164ValueCollector()
        const reader = new DncNumberReader(region)
        const signal = request.signal
        signal?.throwIfAborted()
        let seen = 0
        await readDncSource(request.source, { list, format, column, reader }, (result, line) => {
          if (signal !== undefined && ++seen % ABORT_CHECK_EVERY === 0) signal.throwIfAborted()
          if (result > 0) {
            collector.add(result)
            accepted++
          } else if (result !== BLANK) {
            const problem = resultProblem(result)
            if (request.strict === true) {
              throw new DncListInvalid(list, `line ${line}: ${problem}; strict mode refuses any bad line`, {
                line,
                problem,
              })
            }
            rejected++
            if (problems.length < maxProblems) problems.push({ line, problem })
          }
        })
        const pause = (): Promise<void> =>
          new Promise((resolve) => setImmediate(resolve)).then(() => signal?.throwIfAborted())
        const loadedAt = this.#options.clock.now()
        let state: DncListState
        if (mode === 'replace') {
          if (accepted === 0 && request.allowEmpty !== true) {
            throw new DncListInvalid(
              list,
              `the source holds no numbers (${rejected} bad line(s)); a replace would empty the list (pass allowEmpty: true to allow it)`,
            )
          }
          state = replacedState(await collector.build(pause), version, loadedAt)
        } else {
          const values = collector.sortedDistinct()
          const current = existing?.state ?? replacedState(E164Set.EMPTY, 0, loadedAt)
          state = await changedState(current, mode, values, version, loadedAt, pause)
        }
        await this.#audit(list, tenantId, request.by, 'success', {
          kind: 'dnc.load',
          list,
          mode,
          accepted,
          rejected,
          version,
        })
        this.#versions.set(key, version)
        if (existing !== undefined) existing.commit(state)
        else this.#add(new DncList(list, tenantId, state))
        return {
          list,
          ...(tenantId === undefined ? {} : { tenantId }),
          version,
          mode,
          accepted,
          rejected,
          problems,
          size: state.size,
          loadedAt,
          parsedInFull: reader.fullParses,
        }
      } catch (error) {
        // The version in force stays; the failure is on record (if the trail can take it).
        await this.#audit(
          list,
          tenantId,
          request.by,
          'failure',
          {
            kind: 'dnc.load',
            list,
            mode,
            accepted,
            rejected,
            version: existing?.state.version ?? null,
          },
          error,
        ).catch(() => undefined)
        throw error
      }
    })
  }

  /** Removes a list (global, or `tenantId`'s own). Resolves `false` when there was none. */
  async drop(
    list: string,
    options: { readonly tenantId?: string; readonly by?: AuditActor } = {},
  ): Promise<boolean> {
    checkName(list)
    const { tenantId } = options
    if (tenantId !== undefined) assertTenantId(tenantId)
    return this.#serial(listKey(list, tenantId), async () => {
      const existing = this.#find(list, tenantId)
      if (existing === undefined) return false
      await this.#audit(list, tenantId, options.by, 'success', {
        kind: 'dnc.drop',
        list,
        version: existing.state.version,
        size: existing.state.size,
      })
      this.#remove(existing)
      return true
    })
  }

  #find(list: string, tenantId: string | undefined): DncList | undefined {
    return tenantId === undefined ? this.#global.get(list) : this.#tenants.get(tenantId)?.get(list)
  }

  #add(list: DncList): void {
    if (list.tenantId === undefined) {
      this.#global.set(list.name, list)
      this.#globalLists = Object.freeze([...this.#global.values()])
    } else {
      const own = this.#tenants.get(list.tenantId) ?? new Map<string, DncList>()
      own.set(list.name, list)
      this.#tenants.set(list.tenantId, own)
      this.#tenantLists.set(list.tenantId, Object.freeze([...own.values()]))
    }
  }

  #remove(list: DncList): void {
    if (list.tenantId === undefined) {
      this.#global.delete(list.name)
      this.#globalLists = Object.freeze([...this.#global.values()])
      return
    }
    const own = this.#tenants.get(list.tenantId)!
    own.delete(list.name)
    if (own.size === 0) {
      this.#tenants.delete(list.tenantId)
      this.#tenantLists.delete(list.tenantId)
    } else {
      this.#tenantLists.set(list.tenantId, Object.freeze([...own.values()]))
    }
  }

  #audit(
    list: string,
    tenantId: string | undefined,
    by: AuditActor | undefined,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
    error?: unknown,
  ): Promise<unknown> {
    const code =
      error instanceof CallwardenError ? error.code : error === undefined ? undefined : 'ERR_INTERNAL'
    return this.#options.audit.append({
      tenantId: tenantId ?? this.#options.globalAuditTenantId ?? 'system',
      actor: by ?? SYSTEM,
      action: 'config.change',
      target: { type: 'dnc-list', id: list },
      outcome,
      ...(code === undefined ? {} : { reason: code }),
      details: { ...details, scope: tenantId === undefined ? 'global' : 'tenant' },
    })
  }

  #serial<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(key) ?? Promise.resolve()
    const run = before.then(work, work)
    const settled = run.then(
      () => undefined,
      () => undefined,
    )
    this.#queues.set(key, settled)
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key)
    })
    return run
  }
}

function checkName(list: unknown): asserts list is string {
  if (typeof list !== 'string') throw new TypeError('a do-not-call list name must be a string')
  if (!DNC_LIST_NAME_PATTERN.test(list)) {
    throw new DncListInvalid(
      list.slice(0, 64),
      "the name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    )
  }
}

function listKey(list: string, tenantId: string | undefined): string {
  return tenantId === undefined ? `global/${list}` : `tenant/${tenantId}/${list}`
}
