/**
 * The number a policy check judges: the callee of an outbound call as `numberChecks()` read
 * it, or the caller of an inbound call, read in the tenant's region. Which party is judged is
 * fixed by the check (and so by the chain it is in), never taken from the event's shape: an
 * event that names another party than its chain judges must not steer the check to it.
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

/** The parties of a call a policy check can judge. */
export const CALL_PARTIES = ['caller', 'callee'] as const
/** One party of a call. */
export type CallParty = (typeof CALL_PARTIES)[number]

/** The party each direction's checks judge: the customer (who calls in, who is dialled). */
export const PARTY_OF_DIRECTION = Object.freeze({ inbound: 'caller', outbound: 'callee' } as const)

/**
 * The number of `party` in `ctx`'s call, parsed; a {@link NumberInvalid} when it is absent or
 * cannot be read. A callee that `numberChecks()` already parsed is taken from `ctx.state`.
 * Answers without a promise when the tenant's region is known in memory.
 *
 * @internal
 */
export function readCallNumber(
  ctx: CallContext<InboundCall | OutboundCall>,
  party: CallParty,
  regionOf: RegionOf,
): Awaitable<ParsedNumber | NumberInvalid> {
  if (party === 'callee') {
    const parsed = ctx.state.get(PARSED_CALLEE_STATE) as ParsedNumber | undefined
    if (parsed !== undefined) return parsed
  }
  const number: unknown = (ctx.event as unknown as Record<CallParty, unknown>)[party]
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
