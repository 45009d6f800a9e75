/**
 * The `numberChecks()` middleware of the outbound chain.
 *
 * @module
 */
import { whenReady } from '../../lib/awaitable.js'
import type { OutboundCall } from '../../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../../pipeline/pipeline.js'
import { checkNumber } from './number-check.js'

/**
 * Where the outbound number, once checked and parsed, is left in `ctx.state` for later
 * policy middleware (the blacklist reads it instead of parsing again).
 */
export const PARSED_CALLEE_STATE = 'policy.callee'

const NO_NUMBER = Object.freeze({ rule: 'invalid', problem: 'NOT_A_NUMBER' })

/** Options of {@link numberChecks}. */
export interface NumberChecksOptions {
  /**
   * The region a tenant's national numbers are read in (usually `cw_tenants.default_region`).
   * @defaultValue `() => 'CN'`
   */
  readonly regionOf?: (tenantId: string) => string | Promise<string>
  /**
   * Also refuse shared-cost numbers.
   * @defaultValue true
   */
  readonly blockSharedCost?: boolean
}

/**
 * Denies outbound calls to numbers that must never be dialled, with
 * `ERR_POLICY_NUMBER_NOT_ALLOWED` and `details.rule` = `emergency`, `invalid`,
 * `premium-rate` or `shared-cost` (plus the region, type, parser problem or short code;
 * never the number). Put it after `dialByUid()`, which fills in `callee`.
 *
 * @example
 * ```ts
 * const outbound = createPipeline<OutboundCall>().use(numberChecks({ regionOf: () => 'CN' }))
 * const decision = await outbound.run({ type: 'outbound', tenantId: 'acme', callee: '110' })
 * decision.reasons[0] // { code: 'ERR_POLICY_NUMBER_NOT_ALLOWED', details: { rule: 'emergency', region: 'CN', shortCode: '110' }, ... }
 * ```
 */
export function numberChecks(options: NumberChecksOptions = {}): Middleware<OutboundCall> {
  const regionOf = options.regionOf ?? (() => 'CN')
  const blockSharedCost = options.blockSharedCost ?? true
  const judge = (ctx: CallContext<OutboundCall>, to: string, region: string): void => {
    const result = checkNumber(to, { defaultRegion: region, blockSharedCost })
    if (result.allowed) ctx.state.set(PARSED_CALLEE_STATE, result.parsed)
    else ctx.deny('ERR_POLICY_NUMBER_NOT_ALLOWED', result.message, result.details)
  }
  return guard<OutboundCall>(function numberChecks(ctx) {
    const to: unknown = ctx.event.callee
    if (typeof to !== 'string' || to.length === 0) {
      ctx.deny('ERR_POLICY_NUMBER_NOT_ALLOWED', 'no number to dial', NO_NUMBER)
      return
    }
    return whenReady(regionOf(ctx.tenantId), (region) => judge(ctx, to, region))
  })
}
