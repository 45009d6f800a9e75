/**
 * The `burstGuard()` middleware of the outbound chain.
 *
 * @module
 */
import type { OutboundCall } from '../../pipeline/call-events.js'
import type { Middleware } from '../../pipeline/pipeline.js'
import type { BurstDecision, BurstPermit } from './burst-guard.js'

/** Options of {@link burstGuard}. */
export interface BurstGuardMiddlewareOptions {
  /** The limiter (`cw.policy.rate`). */
  readonly guard: {
    tryAcquire(request: {
      readonly tenantId: string
      readonly at: Date
      readonly dryRun?: boolean
    }): Promise<BurstDecision>
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
  return async function burstGuard(ctx, next) {
    const result = await options.guard.tryAcquire({ tenantId: ctx.tenantId, at: ctx.at, dryRun: ctx.dryRun })
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
    if (permit === undefined) {
      await next()
      return
    }
    try {
      await next()
    } catch (error) {
      options.guard.release(permit)
      throw error
    }
    if (ctx.denied) options.guard.release(permit)
  }
}
