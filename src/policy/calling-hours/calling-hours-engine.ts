/**
 * The calling-hours engine: holds compiled rule packs and answers "may this callee's phone
 * ring now, and if not, when?" in the callee's local time, in every zone the number may ring
 * in.
 *
 * Per call the work is a few map lookups and integer comparisons: rule sets are compiled
 * once per (pack version, locale, purpose, tenant override), zone offsets are cached per zone
 * and year (see `zone-offsets.ts`), holidays are sets of day numbers, and an allowed call
 * returns a shared frozen result. Only a denial does more (local times, the next allowed
 * time).
 *
 * @module
 */
import { CallwardenError } from '../../errors.js'
import { OUTBOUND_PURPOSES, type OutboundPurpose } from '../../pipeline/call-events.js'
import type { CalleeLocale } from './callee-locale.js'
import {
  DEFAULT_OVERRIDE_PURPOSES,
  parseCallingHoursOverrides,
  type CallingHoursOverrides,
} from './calling-hours-overrides.js'
import { DEFAULT_RULE_PACK } from './default-rule-pack.js'
import {
  WEEKDAYS,
  minutesOf,
  parseRulePack,
  type CallingRule,
  type CallingWindow,
  type Holiday,
  type RuleKind,
  type RulePack,
} from './rule-pack.js'
import {
  DAY,
  MINUTE,
  dayOf,
  dayOfIsoDate,
  formatLocal,
  isKnownZone,
  weekdayOf,
  zoneOffsets,
  type ZoneOffsets,
} from './zone-offsets.js'
import { readInstant } from '../../lib/instant.js'

/** What {@link CallingHoursEngine.evaluate} judges. */
export interface CallingHoursInput {
  /** Where the callee is ({@link calleeLocale}). */
  readonly locale: CalleeLocale
  /**
   * Why the call is placed. Absent is read strictly, as `marketing`.
   * @defaultValue `'marketing'`
   */
  readonly purpose?: OutboundPurpose | undefined
  /** The instant the decision is for (`ctx.at`). */
  readonly at: Date
  /** The tenant's overrides ({@link parseCallingHoursOverrides}); pass the same object every time. */
  readonly tenantOverrides?: CallingHoursOverrides | undefined
}

/** The call may ring now. */
export interface CallingHoursAllowed {
  readonly allowed: true
  readonly packId: string
  readonly packVersion: string
  readonly zones: readonly string[]
  /** Ids of the rules that applied (and held), in the order checked. */
  readonly rulesApplied: readonly string[]
}

/** Why a call was refused: outside the hours, on a holiday, on a day with no window, or no pack in force. */
export const CALLING_HOURS_REASONS = ['outside-hours', 'holiday', 'closed-day', 'no-rule-pack'] as const
/** One refusal reason. */
export type CallingHoursReason = (typeof CALLING_HOURS_REASONS)[number]

/** The callee's local time in one zone, `YYYY-MM-DDTHH:MM`. */
export interface ZoneLocalTime {
  readonly zone: string
  readonly local: string
}

/** The call may not ring now. Never carries the number. */
export interface CallingHoursDenied {
  readonly allowed: false
  readonly reason: CallingHoursReason
  /** The rule that refused (the first refusing rule, most specific first). */
  readonly ruleId: string
  readonly citation: string
  /** Every rule that refuses at this instant. */
  readonly deniedBy: readonly string[]
  /** The holiday's name when `reason` is `holiday`. */
  readonly holiday?: string
  readonly zones: readonly string[]
  readonly localTimes: readonly ZoneLocalTime[]
  /** The earliest instant at or after `at` allowed in every zone; absent when none lies within the horizon. */
  readonly nextAllowedAt?: Date
  readonly packId?: string
  readonly packVersion?: string
  /** What was wrong and what is allowed (no number). */
  readonly message: string
}

/** An outcome of {@link CallingHoursEngine.evaluate}. */
export type CallingHoursDecision = CallingHoursAllowed | CallingHoursDenied

/** A per-callee call cap that applies (see {@link CallingHoursEngine.attemptCapsFor}). */
export interface AttemptCapRule {
  readonly ruleId: string
  readonly citation: string
  readonly max: number
  readonly windowHours: number
  /** The cap counts calls on the same subject only. */
  readonly sameSubject: boolean
}

/** Options of {@link CallingHoursEngine}. */
export interface CallingHoursEngineOptions {
  /**
   * Rule pack versions (validated here). All must share one `id`; the version in force at an
   * instant is the one with the latest `effectiveFrom` at or before it.
   * @defaultValue `[DEFAULT_RULE_PACK]`
   */
  readonly packs?: readonly unknown[]
  /**
   * How far ahead the next allowed time is searched.
   * @defaultValue 14
   */
  readonly horizonDays?: number
}

const OK = 0
const OUTSIDE = 1
const HOLIDAY = 2
const CLOSED = 3
const REASONS: Record<number, CallingHoursReason> = {
  [OUTSIDE]: 'outside-hours',
  [HOLIDAY]: 'holiday',
  [CLOSED]: 'closed-day',
}

/** The earliest and latest years annual holidays are expanded for. */
const FIRST_YEAR = 1970
const LAST_YEAR = 2199

/** A rule ready to evaluate. */
interface CompiledRule {
  readonly id: string
  readonly citation: string
  readonly kind: RuleKind | 'tenant'
  readonly country: string | undefined
  readonly subdivision: string | undefined
  readonly purposes: ReadonlySet<OutboundPurpose>
  /** Per weekday (0 = Sunday): flat `[from, until, from, until, ...]` minutes, sorted; undefined: no hours set. */
  readonly windows: readonly (readonly number[])[] | undefined
  readonly holidays: ReadonlyMap<number, string>
  readonly workdays: ReadonlyMap<number, number>
  readonly fromDay: number
  readonly untilDay: number
  readonly caps: readonly AttemptCapRule[]
  /** The allowed hours in words, for messages. */
  readonly hoursText: string
}

/** The rules for one (pack, locale, purpose, override). */
interface RuleSet {
  readonly pack: CompiledPack
  readonly rules: readonly CompiledRule[]
  readonly zones: readonly ZoneOffsets[]
  readonly workdays: ReadonlyMap<number, number>
  readonly allowed: CallingHoursAllowed
  /**
   * The last denial and the minute it was for: a denial depends only on the minute (windows
   * are minute-grained), and a dialler retrying at night asks about the same minute often.
   */
  lastDenial: { readonly minute: number; readonly decision: CallingHoursDenied } | undefined
}

interface CompiledPack {
  readonly id: string
  readonly version: string
  readonly from: number
  readonly rules: readonly CompiledRule[]
  readonly sets: Map<CalleeLocale, Map<string, RuleSet>>
}

interface CompiledOverrides {
  readonly id: number
  /** The tenant rule per country; `'*'` holds blackouts for countries without an entry. */
  readonly byCountry: ReadonlyMap<string, CompiledRule>
}

/**
 * Holds compiled rule packs and caches; evaluates calling hours.
 *
 * @example
 * ```ts
 * const engine = new CallingHoursEngine() // the default pack
 * const locale = calleeLocale(parseNumber('+13055550123')) // Florida
 * engine.evaluate({ locale, purpose: 'marketing', at: new Date('2026-06-01T00:30:00Z') })
 * // { allowed: false, ruleId: 'us-fl-telemarketing', citation: 'Fla. Stat. § 501.616(6)(a) ...',
 * //   localTimes: [{ zone: 'America/New_York', local: '2026-05-31T20:30' }],
 * //   nextAllowedAt: 2026-06-01T12:00:00.000Z, ... }
 * ```
 */
export class CallingHoursEngine {
  readonly #packs: readonly CompiledPack[]
  readonly #horizonDays: number
  readonly #overrides = new WeakMap<object, CompiledOverrides>()
  #overrideIds = 0

  constructor(options: CallingHoursEngineOptions = {}) {
    const inputs = options.packs ?? [DEFAULT_RULE_PACK]
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw new TypeError('packs must be a non-empty array of rule packs')
    }
    const horizonDays = options.horizonDays ?? 14
    if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > 366) {
      throw new TypeError(`horizonDays must be an integer from 1 to 366, got ${String(horizonDays)}`)
    }
    this.#horizonDays = horizonDays
    const packs = inputs.map((input) => parseRulePack(input))
    const id = packs[0]!.id
    const versions = new Set<string>()
    for (const pack of packs) {
      if (pack.id !== id) {
        throw new CallwardenError(
          'ERR_RULE_PACK_INVALID',
          `all loaded packs must be versions of one pack: got '${id}' and '${pack.id}'`,
        )
      }
      if (versions.has(pack.version)) {
        throw new CallwardenError(
          'ERR_RULE_PACK_INVALID',
          `pack '${id}' version '${pack.version}' is loaded twice`,
        )
      }
      versions.add(pack.version)
    }
    this.#packs = packs.map(compilePack).sort((a, b) => a.from - b.from)
  }

  /** The pack version in force at `at`, if any. */
  packAt(at: Date): { readonly id: string; readonly version: string } | undefined {
    const pack = this.#packAt(at.getTime())
    return pack === undefined ? undefined : { id: pack.id, version: pack.version }
  }

  /**
   * Judges one call. Never throws on data: an unknown purpose is read as `marketing`.
   * Throws a `TypeError` for a missing or invalid `at` or locale.
   */
  evaluate(input: CallingHoursInput): CallingHoursDecision {
    const t = input.at instanceof Date ? input.at.getTime() : Number.NaN
    if (Number.isNaN(t)) throw new TypeError('evaluate() needs `at`, a valid Date')
    const locale = input.locale
    if (locale === null || typeof locale !== 'object' || !Array.isArray(locale.zones)) {
      throw new TypeError('evaluate() needs `locale`, a CalleeLocale (calleeLocale(parsedNumber))')
    }
    const purpose = purposeOf(input.purpose)
    const overrides =
      input.tenantOverrides === undefined ? undefined : this.#compileOverrides(input.tenantOverrides)
    const pack = this.#packAt(t)
    if (pack === undefined) return this.#noPack(locale, t)
    const set = this.#set(pack, locale, purpose, overrides)
    const rules = set.rules
    if (rules.length === 0) return set.allowed
    const zones = set.zones
    const workdays = set.workdays
    const last = set.lastDenial
    if (last !== undefined && last.minute === Math.floor(t / MINUTE)) return last.decision
    for (let z = 0; z < zones.length; z += 1) {
      const local = zones[z]!.localAt(t)
      const day = Math.floor(local / DAY)
      const minute = Math.floor((local - day * DAY) / MINUTE)
      const weekday = workdays.size === 0 ? weekdayOf(day) : (workdays.get(day) ?? weekdayOf(day))
      for (let r = 0; r < rules.length; r += 1) {
        if (check(rules[r]!, day, minute, weekday) !== OK) {
          const decision = this.#deny(set, Math.floor(t / MINUTE) * MINUTE, locale, purpose, overrides)
          set.lastDenial = { minute: Math.floor(t / MINUTE), decision }
          return decision
        }
      }
    }
    return set.allowed
  }

  /**
   * The per-callee call caps that apply to a call of `purpose` to `locale` at `at` (FL, OK
   * and MD: at most 3 calls per 24 h on the same subject). The attempt-cap check enforces
   * them; an empty array means no cap applies.
   *
   * @example
   * ```ts
   * engine.attemptCapsFor(floridaLocale, 'marketing', new Date())
   * // [{ ruleId: 'us-fl-telemarketing', citation: 'Fla. Stat. § 501.616(6)(b) ...', max: 3, windowHours: 24, sameSubject: true }]
   * ```
   */
  attemptCapsFor(locale: CalleeLocale, purpose: OutboundPurpose | undefined, at: Date): AttemptCapRule[] {
    const t = at.getTime()
    const pack = this.#packAt(t)
    if (pack === undefined) return []
    const set = this.#set(pack, locale, purposeOf(purpose), undefined)
    const caps: AttemptCapRule[] = []
    for (const rule of set.rules) {
      if (rule.caps.length === 0) continue
      // In force in any of the callee's zones (the strict reading).
      const active = set.zones.some((zone) => {
        const day = dayOf(zone.localAt(t))
        return day >= rule.fromDay && day < rule.untilDay
      })
      if (active) caps.push(...rule.caps)
    }
    return caps
  }

  #packAt(t: number): CompiledPack | undefined {
    const packs = this.#packs
    for (let i = packs.length - 1; i >= 0; i -= 1) if (packs[i]!.from <= t) return packs[i]
    return undefined
  }

  #compileOverrides(input: CallingHoursOverrides): CompiledOverrides {
    if (input === null || typeof input !== 'object') {
      throw new TypeError('tenantOverrides must be an object (parseCallingHoursOverrides)')
    }
    const known = this.#overrides.get(input)
    if (known !== undefined) return known
    const overrides = parseCallingHoursOverrides(input)
    const byCountry = new Map<string, CompiledRule>()
    const blackoutPurposes = overrides.blackoutPurposes ?? DEFAULT_OVERRIDE_PURPOSES
    for (const [country, entry] of Object.entries(overrides.countries)) {
      const purposes = entry.purposes ?? DEFAULT_OVERRIDE_PURPOSES
      byCountry.set(
        country,
        compileRule({
          id: `tenant.${country.toLowerCase()}`,
          citation: 'tenant override (policy.callingHours)',
          kind: 'tenant',
          country,
          subdivision: undefined,
          purposes,
          windows: entry.windows,
          // Blackouts are tenant-wide; they join each country's own holidays when purposes agree.
          holidays: sameSet(purposes, blackoutPurposes)
            ? [...entry.holidays, ...overrides.blackouts]
            : entry.holidays,
          workdays: [],
          caps: [],
        }),
      )
      if (!sameSet(purposes, blackoutPurposes) && overrides.blackouts.length > 0) {
        byCountry.set(`${country}+blackouts`, blackoutRule(overrides.blackouts, blackoutPurposes))
      }
    }
    if (overrides.blackouts.length > 0)
      byCountry.set('*', blackoutRule(overrides.blackouts, blackoutPurposes))
    const compiled = { id: (this.#overrideIds += 1), byCountry }
    this.#overrides.set(input, compiled)
    if (overrides !== input) this.#overrides.set(overrides, compiled)
    return compiled
  }

  #set(
    pack: CompiledPack,
    locale: CalleeLocale,
    purpose: OutboundPurpose,
    overrides: CompiledOverrides | undefined,
  ): RuleSet {
    let byLocale = pack.sets.get(locale)
    if (byLocale === undefined) {
      byLocale = new Map()
      pack.sets.set(locale, byLocale)
    }
    const key = overrides === undefined ? purpose : `${purpose}|${overrides.id}`
    let set = byLocale.get(key)
    if (set === undefined) {
      set = buildSet(pack, locale, purpose, overrides)
      byLocale.set(key, set)
    }
    return set
  }

  #noPack(locale: CalleeLocale, t: number): CallingHoursDenied {
    const first = this.#packs[0]!
    return Object.freeze({
      allowed: false,
      reason: 'no-rule-pack',
      ruleId: 'no-rule-pack',
      citation: `no version of rule pack '${first.id}' is in force yet`,
      deniedBy: Object.freeze(['no-rule-pack']),
      zones: locale.zones,
      localTimes: Object.freeze(localTimes(locale.zones.map(zoneOffsets), t)),
      nextAllowedAt: undefined,
      message: `no calling-hours rule pack is in force at ${new Date(t).toISOString()}; the first version starts ${new Date(first.from).toISOString()} (fail closed)`,
    } satisfies CallingHoursDenied)
  }

  #deny(
    set: RuleSet,
    t: number,
    locale: CalleeLocale,
    purpose: OutboundPurpose,
    overrides: CompiledOverrides | undefined,
  ): CallingHoursDenied {
    let first: { rule: CompiledRule; result: number; day: number } | undefined
    const deniedBy: string[] = []
    for (const zone of set.zones) {
      const local = zone.localAt(t)
      const day = Math.floor(local / DAY)
      const minute = Math.floor((local - day * DAY) / MINUTE)
      const weekday = set.workdays.get(day) ?? weekdayOf(day)
      for (const rule of set.rules) {
        const result = check(rule, day, minute, weekday)
        if (result === OK) continue
        first ??= { rule, result, day }
        if (!deniedBy.includes(rule.id)) deniedBy.push(rule.id)
      }
    }
    const { rule, result, day } = first!
    const next = this.#nextAllowed(set, t, locale, purpose, overrides)
    const times = localTimes(set.zones, t)
    const holiday = result === HOLIDAY ? rule.holidays.get(day) : undefined
    const where = times.map((l) => `${l.local} in ${l.zone}`).join(', ')
    const why =
      result === HOLIDAY
        ? `is ${holiday ?? 'a holiday'}, when ${rule.id} allows no call`
        : result === CLOSED
          ? `falls on a day when ${rule.id} allows no call (allowed: ${rule.hoursText})`
          : `is outside the calling hours of ${rule.id} (allowed: ${rule.hoursText})`
    return Object.freeze({
      allowed: false,
      reason: REASONS[result]!,
      ruleId: rule.id,
      citation: rule.citation,
      deniedBy: Object.freeze(deniedBy),
      ...(holiday === undefined ? {} : { holiday }),
      zones: set.allowed.zones,
      localTimes: Object.freeze(times),
      nextAllowedAt: next === undefined ? undefined : new Date(next),
      packId: set.pack.id,
      packVersion: set.pack.version,
      message: `the callee's local time (${where}) ${why}; next allowed: ${
        next === undefined ? `none within ${this.#horizonDays} days` : new Date(next).toISOString()
      }`,
    } satisfies CallingHoursDenied)
  }

  /**
   * The earliest instant ≥ `t0` every rule allows in every zone: each refusing rule names the
   * next instant it opens in its zone; the latest of those is tried next, until all agree.
   * The pack version in force is looked up at each candidate, so a new version starting
   * within the horizon is honoured.
   */
  #nextAllowed(
    set: RuleSet,
    t0: number,
    locale: CalleeLocale,
    purpose: OutboundPurpose,
    overrides: CompiledOverrides | undefined,
  ): number | undefined {
    // No later than the last instant a Date can hold: a next allowed time must be one.
    const limit = Math.min(t0 + this.#horizonDays * DAY, 8.64e15)
    let t = t0
    let current = set
    for (let round = 0; round < 10_000 && t <= limit; round += 1) {
      const pack = this.#packAt(t)
      if (pack === undefined) return undefined
      if (pack !== current.pack) current = this.#set(pack, locale, purpose, overrides)
      let candidate = t
      let allowed = true
      for (const zone of current.zones) {
        const local = zone.localAt(t)
        const day = Math.floor(local / DAY)
        const minute = Math.floor((local - day * DAY) / MINUTE)
        const weekday = current.workdays.get(day) ?? weekdayOf(day)
        for (const rule of current.rules) {
          if (check(rule, day, minute, weekday) === OK) continue
          allowed = false
          const open = nextOpen(rule, zone, current.workdays, t, day, minute, this.#horizonDays)
          if (open === undefined) return undefined
          if (open > candidate) candidate = open
        }
      }
      if (allowed) return t
      t = candidate > t ? candidate : t + MINUTE
    }
    return undefined
  }
}

let shared: CallingHoursEngine | undefined

/**
 * Evaluates calling hours with the default pack (a shared {@link CallingHoursEngine}).
 *
 * @example
 * ```ts
 * evaluateCallingHours({ locale: calleeLocale(parseNumber('+8613988888888')), purpose: 'service', at: new Date('2026-10-01T03:00:00Z') })
 * // { allowed: false, reason: 'holiday', holiday: 'National Day (国庆节)', nextAllowedAt: 2026-10-08T01:00:00.000Z, ... }
 * ```
 */
export function evaluateCallingHours(input: CallingHoursInput): CallingHoursDecision {
  shared ??= new CallingHoursEngine()
  return shared.evaluate(input)
}

function purposeOf(purpose: unknown): OutboundPurpose {
  return typeof purpose === 'string' && (OUTBOUND_PURPOSES as readonly string[]).includes(purpose)
    ? (purpose as OutboundPurpose)
    : 'marketing'
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

function blackoutRule(blackouts: readonly Holiday[], purposes: readonly OutboundPurpose[]): CompiledRule {
  return compileRule({
    id: 'tenant.blackouts',
    citation: 'tenant override (policy.callingHours blackouts)',
    kind: 'tenant',
    country: undefined,
    subdivision: undefined,
    purposes,
    windows: undefined,
    holidays: blackouts,
    workdays: [],
    caps: [],
  })
}

/** Checks one rule at a local day and minute. */
function check(rule: CompiledRule, day: number, minute: number, weekday: number): number {
  if (day < rule.fromDay || day >= rule.untilDay) return OK
  if (rule.holidays.size > 0 && rule.holidays.has(day)) return HOLIDAY
  const windows = rule.windows
  if (windows === undefined) return OK
  const today = windows[weekday]!
  if (today.length === 0) return CLOSED
  for (let i = 0; i < today.length; i += 2) {
    if (minute >= today[i]! && minute < today[i + 1]!) return OK
  }
  return OUTSIDE
}

/** The next instant after `t` (local `day`, `minute` in `zone`) at which `rule` allows a call. */
function nextOpen(
  rule: CompiledRule,
  zone: ZoneOffsets,
  workdays: ReadonlyMap<number, number>,
  t: number,
  day0: number,
  minute0: number,
  horizonDays: number,
): number | undefined {
  for (let k = 0; k <= horizonDays + 1; k += 1) {
    const day = day0 + k
    const midnight = day * DAY
    if (day < rule.fromDay || day >= rule.untilDay) return k === 0 ? t : zone.instantAt(midnight)
    if (rule.holidays.has(day)) continue
    if (rule.windows === undefined) return k === 0 ? t : zone.instantAt(midnight)
    const today = rule.windows[workdays.get(day) ?? weekdayOf(day)]!
    for (let i = 0; i < today.length; i += 2) {
      const from = today[i]!
      const until = today[i + 1]!
      if (k > 0 || minute0 < from) return zone.instantAt(midnight + from * MINUTE)
      if (minute0 < until) return t
    }
  }
  return undefined
}

function localTimes(zones: readonly ZoneOffsets[], t: number): ZoneLocalTime[] {
  return zones.map((zone) => Object.freeze({ zone: zone.zone, local: formatLocal(zone.localAt(t)) }))
}

function compilePack(pack: RulePack): CompiledPack {
  return {
    id: pack.id,
    version: pack.version,
    // Validated by the pack schema, with the same strict reading.
    from: readInstant(pack.effectiveFrom) ?? Number.NaN,
    rules: pack.rules.map((rule) => compilePackRule(rule)),
    sets: new Map(),
  }
}

function compilePackRule(rule: CallingRule): CompiledRule {
  return compileRule({
    id: rule.id,
    citation: rule.citation,
    kind: rule.kind,
    country: rule.scope.country,
    subdivision: rule.scope.subdivision,
    purposes: rule.purposes,
    windows: rule.windows,
    holidays: rule.holidays,
    workdays: rule.workdays,
    caps: rule.attemptCaps.map((cap) =>
      Object.freeze({
        ruleId: rule.id,
        citation: rule.citation,
        max: cap.max,
        windowHours: cap.windowHours,
        sameSubject: cap.sameSubject,
      }),
    ),
    effectiveFrom: rule.effectiveFrom,
    effectiveUntil: rule.effectiveUntil,
  })
}

interface RuleSource {
  readonly id: string
  readonly citation: string
  readonly kind: RuleKind | 'tenant'
  readonly country: string | undefined
  readonly subdivision: string | undefined
  readonly purposes: readonly OutboundPurpose[]
  readonly windows: readonly CallingWindow[] | undefined
  readonly holidays: readonly Holiday[]
  readonly workdays: readonly { readonly date: string; readonly worksAs: (typeof WEEKDAYS)[number] }[]
  readonly caps: readonly AttemptCapRule[]
  readonly effectiveFrom?: string | undefined
  readonly effectiveUntil?: string | undefined
}

function compileRule(source: RuleSource): CompiledRule {
  let windows: number[][] | undefined
  if (source.windows !== undefined) {
    windows = WEEKDAYS.map(() => [])
    for (const window of source.windows) {
      for (const day of window.days) {
        windows[WEEKDAYS.indexOf(day)]!.push(minutesOf(window.from), minutesOf(window.until))
      }
    }
    windows = windows.map(mergeWindows)
  }
  const workdays = new Map<number, number>()
  for (const workday of source.workdays) {
    workdays.set(dayOfIsoDate(workday.date), WEEKDAYS.indexOf(workday.worksAs))
  }
  return Object.freeze({
    id: source.id,
    citation: source.citation,
    kind: source.kind,
    country: source.country,
    subdivision: source.subdivision,
    purposes: new Set(source.purposes),
    windows: windows?.map((w) => Object.freeze(w)),
    holidays: expandHolidays(source.holidays),
    workdays,
    fromDay: source.effectiveFrom === undefined ? -Infinity : dayOfIsoDate(source.effectiveFrom),
    untilDay: source.effectiveUntil === undefined ? Infinity : dayOfIsoDate(source.effectiveUntil),
    caps: Object.freeze([...source.caps]),
    hoursText: windows === undefined ? 'any time outside its holidays' : describeWindows(windows),
  })
}

/** Sorts and merges overlapping or touching `[from, until]` pairs. */
function mergeWindows(flat: number[]): number[] {
  const pairs: [number, number][] = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!])
  pairs.sort((a, b) => a[0] - b[0])
  const merged: number[] = []
  for (const [from, until] of pairs) {
    if (merged.length > 0 && from <= merged[merged.length - 1]!) {
      merged[merged.length - 1] = Math.max(merged[merged.length - 1]!, until)
    } else {
      merged.push(from, until)
    }
  }
  return merged
}

function describeWindows(windows: readonly (readonly number[])[]): string {
  const hhmm = (m: number): string =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
  const groups: { days: string[]; text: string }[] = []
  // Monday first reads better in messages.
  for (const index of [1, 2, 3, 4, 5, 6, 0]) {
    const w = windows[index]!
    const text =
      w.length === 0
        ? 'no calls'
        : pairsOf(w)
            .map(([f, u]) => `${hhmm(f)}–${hhmm(u)}`)
            .join(', ')
    const last = groups[groups.length - 1]
    if (last !== undefined && last.text === text) last.days.push(WEEKDAYS[index]!)
    else groups.push({ days: [WEEKDAYS[index]!], text })
  }
  const label = (days: string[]): string =>
    days.length === 1 ? days[0]! : `${days[0]}–${days[days.length - 1]}`
  if (groups.length === 1) return `${groups[0]!.text} local time, every day`
  return `${groups.map((g) => `${label(g.days)} ${g.text}`).join('; ')} (local time)`
}

function pairsOf(flat: readonly number[]): [number, number][] {
  const pairs: [number, number][] = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!])
  return pairs
}

/** Day number → holiday name, annual entries expanded for every year from 1970 to 2199. */
function expandHolidays(holidays: readonly Holiday[]): Map<number, string> {
  const days = new Map<number, string>()
  const add = (day: number, name: string): void => {
    if (!days.has(day)) days.set(day, name)
  }
  for (const holiday of holidays) {
    if ('date' in holiday) {
      add(dayOfIsoDate(holiday.date), holiday.name)
    } else if ('from' in holiday) {
      for (let day = dayOfIsoDate(holiday.from); day <= dayOfIsoDate(holiday.to); day += 1)
        add(day, holiday.name)
    } else if ('day' in holiday) {
      for (let year = FIRST_YEAR; year <= LAST_YEAR; year += 1) {
        const time = Date.UTC(year, holiday.month - 1, holiday.day)
        if (new Date(time).getUTCMonth() !== holiday.month - 1) continue // 31 April, 29 February
        const day = time / DAY
        add(day, holiday.name)
        if (holiday.observed === 'us-federal') {
          const weekday = weekdayOf(day)
          if (weekday === 6) add(day - 1, `${holiday.name} (observed)`)
          if (weekday === 0) add(day + 1, `${holiday.name} (observed)`)
        }
      }
    } else {
      const target = WEEKDAYS.indexOf(holiday.weekday)
      for (let year = FIRST_YEAR; year <= LAST_YEAR; year += 1) {
        const first = Date.UTC(year, holiday.month - 1, 1) / DAY
        const last = Date.UTC(year, holiday.month, 0) / DAY
        let day: number
        if (holiday.nth === -1) {
          day = last - ((weekdayOf(last) - target + 7) % 7)
        } else {
          day = first + ((target - weekdayOf(first) + 7) % 7) + (holiday.nth - 1) * 7
          if (day > last) continue
        }
        add(day, holiday.name)
      }
    }
  }
  return days
}

function buildSet(
  pack: CompiledPack,
  locale: CalleeLocale,
  purpose: OutboundPurpose,
  overrides: CompiledOverrides | undefined,
): RuleSet {
  const tenant = overrides?.byCountry.get(locale.country)
  const tenantApplies = tenant !== undefined && tenant.purposes.has(purpose)
  const replaceDefaults = tenantApplies && tenant.windows !== undefined
  const specific: CompiledRule[] = []
  const national: CompiledRule[] = []
  for (const rule of pack.rules) {
    if (!rule.purposes.has(purpose) || rule.country !== locale.country) continue
    if (rule.subdivision !== undefined && rule.subdivision !== locale.subdivision) continue
    let applied = rule
    if (replaceDefaults && rule.kind === 'default') {
      // The tenant's window replaces the default window; the default's holidays remain.
      if (rule.holidays.size === 0) continue
      applied = Object.freeze({ ...rule, windows: undefined, hoursText: 'any time outside its holidays' })
    }
    ;(rule.subdivision === undefined ? national : specific).push(applied)
  }
  const rules = [...specific, ...national]
  if (tenantApplies) rules.push(tenant)
  const extra = overrides?.byCountry.get(tenant === undefined ? '*' : `${locale.country}+blackouts`)
  if (extra !== undefined && extra.purposes.has(purpose)) rules.push(extra)
  const workdays = new Map<number, number>()
  for (const rule of rules) for (const [day, weekday] of rule.workdays) workdays.set(day, weekday)
  const zones = locale.zones.filter(isKnownZone).map(zoneOffsets)
  if (zones.length === 0 && rules.length > 0) {
    // No zone to judge in: judge in UTC rather than not at all.
    zones.push(zoneOffsets('UTC'))
  }
  return {
    pack,
    rules,
    zones,
    workdays,
    allowed: Object.freeze({
      allowed: true,
      packId: pack.id,
      packVersion: pack.version,
      zones: locale.zones,
      rulesApplied: Object.freeze(rules.map((rule) => rule.id)),
    }),
    lastDenial: undefined,
  }
}
