/**
 * The `attemptCap()` middleware of the outbound chain.
 *
 * @module
 */
import { isPending, whenReady, type Awaitable } from '../../lib/awaitable.js'
import { NumberInvalid, type ParsedNumber } from '../../masking/phone-number.js'
import type { OutboundCall } from '../../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../../pipeline/pipeline.js'
import { readCallNumber, type RegionOf } from '../callee-number.js'
import { DEFAULT_ATTEMPT_CAPS, tenantAttemptCaps, type AttemptCap } from './attempt-cap.js'
import type { AttemptDecision, TryRecordRequest } from './attempt-ledger.js'

/** Options of {@link attemptCap}. */
export interface AttemptCapMiddlewareOptions {
  /** Records attempts (`cw.policy.attempts`). */
  readonly ledger: {
    tryRecord(request: TryRecordRequest): Promise<AttemptDecision>
    /** {@link tryRecord} answering without a promise when it can (`AttemptLedger.tryRecordNow`). */
    tryRecordNow?(request: TryRecordRequest): Awaitable<AttemptDecision>
    release(request: { readonly tenantId: string; readonly attemptId: string }): Promise<boolean>
  }
  /**
   * The tenant's own caps.
   * @defaultValue 3 per 24 hours and 7 per 7 days ({@link DEFAULT_ATTEMPT_CAPS})
   */
  readonly caps?: (tenantId: string) => Awaitable<readonly AttemptCap[]>
  /**
   * Further caps for this call, e.g. a state's rules for the callee's location and the
   * call's purpose (a calling-hours rule pack's `attemptCapsFor(locale, purpose, at)`).
   * @defaultValue none
   */
  readonly extraCaps?: (ctx: CallContext<OutboundCall>) => Awaitable<readonly AttemptCap[]>
  /**
   * The region a tenant's national numbers are read in.
   * @defaultValue `() => 'CN'`
   */
  readonly regionOf?: RegionOf
}

/**
 * Counts the call as an attempt on the callee's number and denies it with
 * `ERR_POLICY_ATTEMPT_CAP` when any applicable cap is full, with `details: { cap,
 * windowHours, count, max, nextAllowedAt, citation }` (never the number); the decision's
 * `nextAllowedAt` is when every cap allows again. The check and the recording are one
 * atomic step, so concurrent dials from several processes cannot exceed a cap.
 *
 * Put it last among the policy checks, so that calls another check denies never count. A
 * call denied further down the chain anyway (or whose chain fails) has its attempt removed
 * again. A dry run judges without recording. A callee number that cannot be read is not
 * counted (number checks refuse such calls before).
 *
 * @example
 * ```ts
 * const outbound = createPipeline<OutboundCall>().use(
 *   attemptCap({
 *     ledger: cw.policy.attempts,
 *     extraCaps: (ctx) => (ctx.event.purpose === 'marketing' ? [{ id: 'US-FL:24h', max: 3, windowHours: 24 }] : []),
 *   }),
 * )
 * const decision = await outbound.run(call) // the 4th call in 24 h:
 * decision.reasons[0] // { code: 'ERR_POLICY_ATTEMPT_CAP', details: { cap: 'tenant:24h', max: 3, count: 3, nextAllowedAt: '…' } }
 * ```
 */
export function attemptCap(options: AttemptCapMiddlewareOptions): Middleware<OutboundCall> {
  const regionOf = options.regionOf ?? (() => 'CN')
  const tenantCaps = options.caps ?? ((tenantId: string) => tenantAttemptCaps(DEFAULT_ATTEMPT_CAPS, tenantId))
  const ledger = options.ledger
  const tryRecord = ledger.tryRecordNow?.bind(ledger) ?? ledger.tryRecord.bind(ledger)
  const apply = (ctx: CallContext<OutboundCall>, result: AttemptDecision): void => {
    if (!result.allowed) {
      ctx.deny(
        'ERR_POLICY_ATTEMPT_CAP',
        `the callee was called ${result.count} times in the last ${result.cap.windowHours} h; cap '${result.cap.id}' allows ${result.cap.max}`,
        {
          cap: result.cap.id,
          windowHours: result.cap.windowHours,
          count: result.count,
          max: result.cap.max,
          nextAllowedAt: result.nextAllowedAt.toISOString(),
          citation: result.cap.citation ?? null,
        },
      )
      return
    }
    const attemptId = result.attemptId
    // The call was counted; if it is not placed after all, it must not count.
    if (attemptId !== undefined) {
      ctx.onDenied(async () => {
        await ledger.release({ tenantId: ctx.tenantId, attemptId })
      })
    }
  }
  const record = (
    ctx: CallContext<OutboundCall>,
    number: string,
    own: readonly AttemptCap[],
    extra: readonly AttemptCap[],
  ): Awaitable<void> => {
    const result = tryRecord({
      tenantId: ctx.tenantId,
      number,
      at: ctx.at,
      caps: extra.length === 0 ? own : [...own, ...extra],
      dryRun: ctx.dryRun,
      callId: ctx.event.callId.slice(0, 128),
    })
    return whenReady(result, (r) => apply(ctx, r))
  }
  const judge = (ctx: CallContext<OutboundCall>, callee: ParsedNumber | NumberInvalid): Awaitable<void> => {
    if (callee instanceof NumberInvalid) {
      ctx.note('policy.attempts.unidentified', 'the callee number cannot be read; no attempt counted', {
        problem: callee.problem,
      })
      return
    }
    const own = tenantCaps(ctx.tenantId)
    const extra = options.extraCaps === undefined ? NO_CAPS : options.extraCaps(ctx)
    if (isPending(own) || isPending(extra)) {
      return Promise.all([own, extra]).then(([o, e]) => record(ctx, callee.e164, o, e))
    }
    return record(ctx, callee.e164, own, extra)
  }
  return guard<OutboundCall>(function attemptCap(ctx) {
    const callee = readCallNumber(ctx, 'callee', regionOf)
    return whenReady(callee, (c) => judge(ctx, c))
  })
}

const NO_CAPS: readonly AttemptCap[] = Object.freeze([])
