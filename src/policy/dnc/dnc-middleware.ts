/**
 * The `dnc()` middleware of the outbound chain.
 *
 * @module
 */
import { whenReady } from '../../lib/awaitable.js'
import { NumberInvalid, type ParsedNumber } from '../../masking/phone-number.js'
import type { OutboundCall } from '../../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../../pipeline/pipeline.js'
import { readCallNumber, type RegionOf } from '../callee-number.js'
import type { DncMatch } from './dnc-list.js'

/** Options of {@link dnc}. */
export interface DncMiddlewareOptions {
  /** Finds the list that holds a number (a {@link DncRegistry}). */
  readonly registry: {
    match(tenantId: string, number: { readonly e164: string }): DncMatch | undefined
  }
  /**
   * The region a tenant's national numbers are read in, when `numberChecks()` did not run
   * before and left the parsed callee.
   * @defaultValue `() => 'CN'`
   */
  readonly regionOf?: RegionOf
}

/**
 * Denies outbound calls to a number on a do-not-call list that applies to the tenant (a
 * global list or one of its own), with `ERR_POLICY_DNC` and `details` `{ list, scope }` —
 * never the number. Checked at dial time, so every outbound path that runs the outbound
 * chain when it dials (campaigns, manual dials, scheduled callbacks) sees the lists as they
 * are then. Uses the callee `numberChecks()` parsed; a callee that cannot be read matches no
 * list (`numberChecks()` refuses it; a note says so).
 *
 * @example
 * ```ts
 * const outbound = createPipeline<OutboundCall>().use(numberChecks()).use(dnc({ registry }))
 * const decision = await outbound.run({ type: 'outbound', tenantId: 'acme', callee: '+12015550123' })
 * decision.reasons[0] // { code: 'ERR_POLICY_DNC', details: { list: 'us-national', scope: 'global' }, ... }
 * ```
 */
export function dnc(options: DncMiddlewareOptions): Middleware<OutboundCall> {
  if (typeof options?.registry?.match !== 'function') {
    throw new TypeError('dnc() needs options.registry with match(tenantId, number)')
  }
  const registry = options.registry
  const regionOf = options.regionOf ?? (() => 'CN')
  const judge = (ctx: CallContext<OutboundCall>, callee: ParsedNumber | NumberInvalid): void => {
    if (callee instanceof NumberInvalid) {
      ctx.note('policy.dnc.unidentified', 'the callee number cannot be read; no do-not-call list can match', {
        problem: callee.problem,
      })
      return
    }
    const match = registry.match(ctx.tenantId, callee)
    if (match !== undefined) {
      ctx.deny(
        'ERR_POLICY_DNC',
        `the callee is on the ${match.scope === 'global' ? 'global' : "tenant's"} do-not-call list '${match.list}'`,
        { list: match.list, scope: match.scope },
      )
    }
  }
  return guard<OutboundCall>(function dnc(ctx) {
    const callee = readCallNumber(ctx, 'callee', regionOf)
    return whenReady(callee, (c) => judge(ctx, c))
  })
}
