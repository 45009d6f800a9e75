/**
 * The number a policy check judges: the callee of an outbound call as `numberChecks()` read
 * it, or the caller of an inbound call, read in the tenant's region.
 *
 * @module
 */
import { whenReady, type Awaitable } from '../lib/awaitable.js'
import { NumberInvalid, parseNumber, type ParsedNumber } from '../masking/phone-number.js'
import type { InboundCall, OutboundCall } from '../pipeline/call-events.js'
import type { CallContext } from '../pipeline/pipeline.js'
import { PARSED_CALLEE_STATE } from './number-checks/number-checks-middleware.js'

/** The region a tenant's national numbers are read in. */
export type RegionOf = (tenantId: string) => Awaitable<string>

/**
 * The number `ctx`'s call is judged by (the callee of an outbound call, the caller of an
 * inbound one), parsed; a {@link NumberInvalid} when it cannot be read. An outbound callee
 * that `numberChecks()` already parsed is taken from `ctx.state`. Answers without a promise
 * when the tenant's region is known in memory.
 *
 * @internal
 */
export function readCallNumber(
  ctx: CallContext<InboundCall | OutboundCall>,
  regionOf: RegionOf,
): Awaitable<ParsedNumber | NumberInvalid> {
  const event = ctx.event
  if (event.type !== 'inbound') {
    const parsed = ctx.state.get(PARSED_CALLEE_STATE) as ParsedNumber | undefined
    if (parsed !== undefined) return parsed
  }
  const number: unknown = event.type === 'inbound' ? event.caller : event.callee
  if (typeof number !== 'string' || number.length === 0) {
    return new NumberInvalid('NOT_A_NUMBER', 'no number')
  }
  return whenReady(regionOf(ctx.tenantId), (region) => {
    try {
      return parseNumber(number, { defaultRegion: region })
    } catch (error) {
      if (error instanceof NumberInvalid) return error
      throw error
    }
  })
}
