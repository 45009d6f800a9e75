/**
 * Calling-hours rule packs: versioned, effective-dated data. A pack says, per country (and
 * optionally per state or province), when calls of which purposes may ring in the callee's
 * local time, on which days they may not ring at all, and how many calls a rolling window
 * allows, each rule with the citation it rests on. Packs are plain JSON-compatible objects,
 * validated by {@link rulePackSchema}; {@link parseRulePack} turns a malformed one into
 * `ERR_RULE_PACK_INVALID` naming every bad field.
 *
 * @module
 */
import { z } from 'zod'
import { CallwardenError, type InvalidField } from '../../errors.js'
import { OUTBOUND_PURPOSES } from '../../pipeline/call-events.js'
import { INSTANT_FORMS, readInstant } from '../../lib/instant.js'

/** Weekday names, Sunday first (the index is the JavaScript weekday). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
/** One weekday. */
export type Weekday = (typeof WEEKDAYS)[number]

/**
 * Rule kinds: a `statutory` rule applies whatever a tenant configures (a tenant can only
 * narrow it); a `default` rule is the product's default where no statute fixes the hours
 * (China's 09:00–20:00), and a tenant's own window for the country replaces its window.
 */
export const RULE_KINDS = ['statutory', 'default'] as const
/** One rule kind. */
export type RuleKind = (typeof RULE_KINDS)[number]

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/
const LOCAL_TIME = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/

const isoDate = z
  .string()
  .regex(ISO_DATE, 'a date YYYY-MM-DD')
  .refine((value) => new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), 'a real calendar date')
const localTime = z.string().regex(LOCAL_TIME, 'a local time HH:MM from 00:00 to 24:00')
const country = z.string().regex(/^([A-Z]{2}|001)$/, 'an ISO 3166-1 alpha-2 country code such as US or CN')
const subdivision = z
  .string()
  .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, 'an ISO 3166-2 subdivision code such as US-FL')

/** Minutes since midnight of `HH:MM`. @internal */
export function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))
}

/**
 * A weekly window in the callee's local wall time: calls may ring from `from` (inclusive) to
 * `until` (exclusive) on each of `days`. A window never crosses midnight; write two.
 */
export const callingWindowSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1, 'at least one weekday'),
    from: localTime,
    until: localTime,
  })
  .strict()
  .refine((w) => minutesOf(w.from) < minutesOf(w.until), {
    message: 'from must be before until (a window never crosses midnight; write two windows)',
    path: ['until'],
  })
/** A weekly window. */
export type CallingWindow = z.infer<typeof callingWindowSchema>

/**
 * A day (or days) on which the rule allows no call, in the callee's local calendar: one date,
 * an inclusive range of dates, a fixed date every year (`observed: 'us-federal'` adds the
 * federal observance: Saturday → Friday, Sunday → Monday), or the nth weekday of a month
 * every year (`nth: -1` is the last).
 */
export const holidaySchema = z.union([
  z.object({ name: z.string().min(1), date: isoDate }).strict(),
  z
    .object({ name: z.string().min(1), from: isoDate, to: isoDate })
    .strict()
    .refine((h) => h.from <= h.to, { message: 'from must not be after to', path: ['to'] }),
  z
    .object({
      name: z.string().min(1),
      month: z.number().int().min(1).max(12),
      day: z.number().int().min(1).max(31),
      observed: z.enum(['us-federal']).optional(),
    })
    .strict(),
  z
    .object({
      name: z.string().min(1),
      month: z.number().int().min(1).max(12),
      weekday: z.enum(WEEKDAYS),
      nth: z.union([z.literal(-1), z.number().int().min(1).max(5)]),
    })
    .strict(),
])
/** A holiday entry. */
export type Holiday = z.infer<typeof holidaySchema>

/**
 * A make-up working day (China's 调休 上班 days): the rule's windows of `worksAs` apply on
 * `date` whatever its weekday, for every rule of the country (tenant windows too).
 */
export const workdaySchema = z
  .object({ name: z.string().min(1), date: isoDate, worksAs: z.enum(WEEKDAYS).default('mon') })
  .strict()

/** A cap on calls to one callee in a rolling window (enforced by the attempt-cap check). */
export const attemptCapSchema = z
  .object({
    max: z.number().int().min(1),
    windowHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 31),
    /** The cap counts calls on the same subject only (FL, OK, MD). @defaultValue false */
    sameSubject: z.boolean().default(false),
  })
  .strict()

/** One rule of a pack. */
export const callingRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'lower-case letters, digits, dots and dashes'),
    /** The statute and section (or the notice) the rule rests on, and how sure we are. */
    citation: z.string().min(3),
    scope: z.object({ country, subdivision: subdivision.optional() }).strict(),
    /** The outbound purposes the rule applies to. */
    purposes: z.array(z.enum(OUTBOUND_PURPOSES)).min(1),
    kind: z.enum(RULE_KINDS).default('statutory'),
    /** When calls may ring; absent means the rule sets no hours (holidays or caps only). */
    windows: z.array(callingWindowSchema).min(1).optional(),
    holidays: z.array(holidaySchema).default([]),
    /** The years the dated holidays and workdays cover (e.g. a State Council notice's year). */
    calendarYears: z.array(z.number().int().min(1970).max(2199)).optional(),
    workdays: z.array(workdaySchema).default([]),
    attemptCaps: z.array(attemptCapSchema).default([]),
    /** First local date the rule applies (inclusive), in the callee's calendar. */
    effectiveFrom: isoDate.optional(),
    /** Last local date the rule applies (exclusive). */
    effectiveUntil: isoDate.optional(),
    note: z.string().optional(),
  })
  .strict()
  .refine((r) => r.scope.subdivision === undefined || r.scope.subdivision.startsWith(`${r.scope.country}-`), {
    message: 'subdivision must belong to the rule country',
    path: ['scope', 'subdivision'],
  })
  .refine((r) => !(r.effectiveFrom && r.effectiveUntil) || r.effectiveFrom < r.effectiveUntil, {
    message: 'effectiveFrom must be before effectiveUntil',
    path: ['effectiveUntil'],
  })
/** One rule (as validated). */
export type CallingRule = z.infer<typeof callingRuleSchema>
/** One rule as written (defaults not yet applied). */
export type CallingRuleInput = z.input<typeof callingRuleSchema>

/** A versioned, effective-dated rule pack. */
export const rulePackSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'lower-case letters, digits, dots and dashes'),
    version: z.string().min(1).max(64),
    /** The instant this version takes over from the previous one (ISO 8601 with offset). */
    effectiveFrom: z
      .string()
      .refine((value) => readInstant(value) !== undefined, `an instant: ${INSTANT_FORMS}`),
    description: z.string().optional(),
    rules: z.array(callingRuleSchema),
  })
  .strict()
  .superRefine((pack, ctx) => {
    const seen = new Set<string>()
    pack.rules.forEach((rule, index) => {
      if (seen.has(rule.id)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate rule id '${rule.id}'`,
          path: ['rules', index, 'id'],
        })
      }
      seen.add(rule.id)
    })
  })
/** A rule pack (as validated). */
export type RulePack = z.infer<typeof rulePackSchema>
/** A rule pack as written. */
export type RulePackInput = z.input<typeof rulePackSchema>

/** A rule pack or a tenant override is malformed; `fields` lists every bad field. */
export class RulePackInvalid extends CallwardenError {
  readonly fields: readonly InvalidField[]

  constructor(what: string, fields: readonly InvalidField[], options?: { cause?: unknown }) {
    super(
      'ERR_RULE_PACK_INVALID',
      `invalid ${what}: ${fields.map((f) => `${f.path || '(root)'}: ${f.message}`).join('; ')}`,
      options,
    )
    this.name = 'RulePackInvalid'
    this.fields = fields
  }
}

/** Turns zod issues into {@link RulePackInvalid}. @internal */
export function invalid(what: string, error: z.ZodError): RulePackInvalid {
  return new RulePackInvalid(
    what,
    error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    { cause: error },
  )
}

/**
 * Validates a rule pack; throws `ERR_RULE_PACK_INVALID` ({@link RulePackInvalid}) naming every
 * bad field.
 *
 * @example
 * ```ts
 * const pack = parseRulePack(JSON.parse(await readFile('my-pack.json', 'utf8')))
 * ```
 */
export function parseRulePack(input: unknown): RulePack {
  const parsed = rulePackSchema.safeParse(input)
  if (!parsed.success) throw invalid('calling-hours rule pack', parsed.error)
  return parsed.data
}
