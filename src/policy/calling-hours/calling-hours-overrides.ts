/**
 * A tenant's calling-hours overrides: its own window per country, extra holidays and
 * blackout dates. Overrides only ever make calling hours stricter for statutory rules:
 * the tenant's window is applied *as well as* every statutory rule (the intersection), so a
 * tenant window wider than a statute has no effect beyond the statute. Where no statute
 * fixes the hours (the pack's `default` rules, e.g. China's 09:00–20:00), the tenant's
 * window replaces the default window; the default rule's holidays still apply.
 *
 * @module
 */
import { z } from 'zod'
import { OUTBOUND_PURPOSES, type OutboundPurpose } from '../../pipeline/call-events.js'
import { callingWindowSchema, holidaySchema, invalid } from './rule-pack.js'

/** The purposes a tenant rule applies to unless it says: every purpose but customer-requested callbacks. */
export const DEFAULT_OVERRIDE_PURPOSES: readonly OutboundPurpose[] = Object.freeze([
  'marketing',
  'service',
  'consultation',
])

const purposes = z.array(z.enum(OUTBOUND_PURPOSES)).min(1)

/**
 * One tenant's overrides, the shape of `policy.callingHours.tenants[tenantId]` in the
 * configuration.
 *
 * @example
 * ```ts
 * callingHoursOverridesSchema.parse({
 *   countries: {
 *     CN: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:30', until: '18:00' }] },
 *     US: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], from: '10:00', until: '19:00' }] },
 *   },
 *   blackouts: [{ name: 'company day', date: '2026-12-24' }],
 * })
 * ```
 */
export const callingHoursOverridesSchema = z
  .object({
    /**
     * Per country (ISO 3166-1 alpha-2): the tenant's own weekly windows in the callee's local
     * time, extra holidays, and the purposes they apply to.
     * @defaultValue `{}`
     */
    countries: z
      .record(
        z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as CN'),
        z
          .object({
            windows: z.array(callingWindowSchema).min(1).optional(),
            holidays: z.array(holidaySchema).default([]),
            /** @defaultValue `['marketing', 'service', 'consultation']` */
            purposes: purposes.optional(),
          })
          .strict(),
      )
      .default({}),
    /**
     * Dates on which the tenant places no call to any country (callee's local calendar).
     * @defaultValue `[]`
     */
    blackouts: z.array(holidaySchema).default([]),
    /**
     * The purposes blackouts apply to.
     * @defaultValue `['marketing', 'service', 'consultation']`
     */
    blackoutPurposes: purposes.optional(),
  })
  .strict()

/** One tenant's overrides as written. */
export type CallingHoursOverridesInput = z.input<typeof callingHoursOverridesSchema>
/** One tenant's overrides, validated. */
export type CallingHoursOverrides = z.infer<typeof callingHoursOverridesSchema>

/**
 * Validates a tenant's overrides; throws `ERR_RULE_PACK_INVALID` naming every bad field.
 * Pass the result (the same object every time) to the engine: compiled overrides are cached
 * per object.
 *
 * @example
 * ```ts
 * const overrides = parseCallingHoursOverrides({ countries: { CN: { windows: [{ days: ['mon'], from: '10:00', until: '12:00' }] } } })
 * ```
 */
export function parseCallingHoursOverrides(input: unknown): CallingHoursOverrides {
  const parsed = callingHoursOverridesSchema.safeParse(input ?? {})
  if (!parsed.success) throw invalid('calling-hours tenant override', parsed.error)
  return deepFreeze(parsed.data)
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
