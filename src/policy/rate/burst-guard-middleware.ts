/**
 * The `burstGuard()` middleware of the outbound chain.
 *
 * @module
 */
import { whenReady, type Awaitable } from '../../lib/awaitable.js'
import type { OutboundCall } from '../../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../../pipeline/pipeline.js'
import type { BurstDecision, BurstPermit, BurstRequest } from './burst-guard.js'

/** Options of {@link burstGuard}. */
export interface BurstGuardMiddlewareOptions {
  /** The limiter (`cw.policy.rate`). */
  readonly guard: {
    tryAcquire(request: BurstRequest): Promise<BurstDecision>
    /** {@link tryAcquire} answering without a promise when it can (`BurstGuard.tryAcquireNow`). */
    tryAcquireNow?(request: BurstRequest): Awaitable<BurstDecision>
    release(permit: BurstPermit): void
  }
}

/**
 * Denies an outbound call that would exceed the tenant's call rate (by default 4 calls in any
 * second; more during an announced burst), with `ERR_POLICY_RATE_LIMITED` and `details:
 * { limit, windowMs, nextAllowedAt }`. A dry run spends nothing. A call denied further down
 * the chain (or whose chain fails) gives its slot back, so refused calls never use up the
 * rate.
 *
 * @example
 * ```ts
 * const outbound = createPipeline<OutboundCall>().use(burstGuard({ guard: cw.policy.rate }))
 * // the 5th call of a tenant within one second:
 * decision.reasons[0] // { code: 'ERR_POLICY_RATE_LIMITED', details: { limit: 4, windowMs: 1000, nextAllowedAt: '…' } }
 * ```
 */
export function burstGuard(options: BurstGuardMiddlewareOptions): Middleware<OutboundCall> {
  const limiter = options.guard
  const acquire = limiter.tryAcquireNow?.bind(limiter) ?? limiter.tryAcquire.bind(limiter)
  const judge = (ctx: CallContext<OutboundCall>, result: BurstDecision): void => {
    if (!result.allowed) {
      ctx.deny(
        'ERR_POLICY_RATE_LIMITED',
        `the tenant placed ${result.limit} calls within ${result.windowMs} ms; an unannounced burst is not allowed`,
        {
          limit: result.limit,
          windowMs: result.windowMs,
          nextAllowedAt: result.nextAllowedAt.toISOString(),
        },
      )
      return
    }
    const permit = result.permit
    // The slot is given back when the call is not placed after all.
    if (permit !== undefined) ctx.onDenied(() => limiter.release(permit))
  }
  return guard<OutboundCall>(function burstGuard(ctx) {
    const result = acquire({ tenantId: ctx.tenantId, at: ctx.at, dryRun: ctx.dryRun })
    return whenReady(result, (r) => judge(ctx, r))
  })
}
