/**
 * The `callingHours()` middleware of the outbound chain.
 *
 * @module
 */
import { whenReady, type Awaitable } from '../../lib/awaitable.js'
import { NumberInvalid, type ParsedNumber } from '../../masking/phone-number.js'
import type { OutboundCall } from '../../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../../pipeline/pipeline.js'
import { readCallNumber, type RegionOf } from '../callee-number.js'
import { calleeLocale } from './callee-locale.js'
import type { CallingHoursEngine } from './calling-hours-engine.js'
import type { CallingHoursOverrides } from './calling-hours-overrides.js'

/** Options of {@link callingHours}. */
export interface CallingHoursOptions {
  /** The engine holding the rule packs (one per process). */
  readonly engine: CallingHoursEngine
  /**
   * The region a tenant's national numbers are read in, when `numberChecks()` did not run
   * before and left the parsed number.
   * @defaultValue `() => 'CN'`
   */
  readonly regionOf?: RegionOf
  /**
   * The tenant's overrides (`policy.callingHours.tenants[tenantId]`, parsed once with
   * `parseCallingHoursOverrides`). Return the same object for a tenant every time: compiled
   * overrides are cached per object.
   * @defaultValue no overrides
   */
  readonly overridesOf?: (
    tenantId: string,
  ) => CallingHoursOverrides | undefined | Promise<CallingHoursOverrides | undefined>
  /**
   * Note `CALLING_HOURS_OK` (pack version, zones) on allowed calls. Off by default: the note
   * costs more than the check itself, and the decision's trace already shows the check ran.
   * @defaultValue false
   */
  readonly noteAllowed?: boolean
}

/**
 * Denies outbound calls that would ring outside the calling hours in the callee's local
 * time (in every zone the number may ring in), with `ERR_POLICY_OUTSIDE_CALLING_HOURS` and
 * `details` `{ rule, citation, reason, zones, localTimes, nextAllowedAt, packId, packVersion,
 * holiday? }` — never the number. `nextAllowedAt` (ISO 8601) becomes the decision's
 * `nextAllowedAt`; it is absent when no allowed time lies within the engine's horizon.
 * Judges at `ctx.at`, for the event's `purpose` (absent: `marketing`). Put it after
 * `numberChecks()`, whose parsed number it reuses.
 *
 * @example
 * ```ts
 * const engine = new CallingHoursEngine()
 * const outbound = createPipeline<OutboundCall>().use(numberChecks()).use(callingHours({ engine }))
 * const decision = await outbound.run({ type: 'outbound', tenantId: 'acme', callId: 'c1', callee: '+13055550123', purpose: 'marketing', at: '2026-06-01T00:30:00Z' })
 * decision.reasons[0] // { code: 'ERR_POLICY_OUTSIDE_CALLING_HOURS', details: { rule: 'us-fl-telemarketing', localTimes: [{ zone: 'America/New_York', local: '2026-05-31T20:30' }], nextAllowedAt: '2026-06-01T12:00:00.000Z', ... } }
 * ```
 */
export function callingHours(options: CallingHoursOptions): Middleware<OutboundCall> {
  const engine = options.engine
  if (engine === null || typeof engine !== 'object' || typeof engine.evaluate !== 'function') {
    throw new TypeError('callingHours() needs `engine`, a CallingHoursEngine')
  }
  const regionOf = options.regionOf ?? (() => 'CN')
  const overridesOf = options.overridesOf
  const noteAllowed = options.noteAllowed === true
  const judge = (ctx: CallContext<OutboundCall>, callee: ParsedNumber | NumberInvalid): Awaitable<void> => {
    if (callee instanceof NumberInvalid) {
      // Without a number there is no local time to judge: fail closed.
      ctx.deny(
        'ERR_POLICY_NUMBER_NOT_ALLOWED',
        'the callee number cannot be read; calling hours cannot be judged',
        {
          rule: 'invalid',
          problem: callee.problem,
        },
      )
      return
    }
    const overrides = overridesOf?.(ctx.tenantId)
    return whenReady(overrides, (o) => evaluate(ctx, callee, o))
  }
  const evaluate = (
    ctx: CallContext<OutboundCall>,
    parsed: ParsedNumber,
    overrides: CallingHoursOverrides | undefined,
  ): void => {
    const result = engine.evaluate({
      locale: calleeLocale(parsed),
      purpose: ctx.event.purpose,
      at: ctx.at,
      tenantOverrides: overrides,
    })
    if (!result.allowed) {
      ctx.deny('ERR_POLICY_OUTSIDE_CALLING_HOURS', result.message, {
        rule: result.ruleId,
        citation: result.citation,
        reason: result.reason,
        deniedBy: result.deniedBy,
        ...(result.holiday === undefined ? {} : { holiday: result.holiday }),
        zones: result.zones,
        localTimes: result.localTimes,
        ...(result.nextAllowedAt === undefined ? {} : { nextAllowedAt: result.nextAllowedAt.toISOString() }),
        packId: result.packId ?? null,
        packVersion: result.packVersion ?? null,
      })
      return
    }
    if (noteAllowed) {
      ctx.note('CALLING_HOURS_OK', 'within calling hours in every zone of the callee', {
        packVersion: result.packVersion,
        zones: result.zones,
        rules: result.rulesApplied,
      })
    }
  }
  return guard<OutboundCall>(function callingHours(ctx) {
    const callee = readCallNumber(ctx, 'callee', regionOf)
    return whenReady(callee, (c) => judge(ctx, c))
  })
}
