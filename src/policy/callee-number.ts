/**
 * The callee of an outbound call in E.164, as the policy middleware after `numberChecks()`
 * read it.
 *
 * @module
 */
import { NumberInvalid, parseNumber, type ParsedNumber } from '../masking/phone-number.js'
import type { OutboundCall } from '../pipeline/call-events.js'
import type { CallContext } from '../pipeline/pipeline.js'
import { PARSED_CALLEE_STATE } from './number-checks/number-checks-middleware.js'

/**
 * The callee parsed by `numberChecks()` when it ran, else parsed here in the tenant's
 * region; `undefined` when the number cannot be read.
 *
 * @internal
 */
export async function calleeE164(
  ctx: CallContext<OutboundCall>,
  regionOf: (tenantId: string) => string | Promise<string>,
): Promise<{ readonly e164: string } | { readonly problem: string }> {
  const parsed = ctx.state.get(PARSED_CALLEE_STATE) as ParsedNumber | undefined
  if (parsed !== undefined) return { e164: parsed.e164 }
  const number: unknown = ctx.event.callee
  try {
    if (typeof number !== 'string') throw new NumberInvalid('NOT_A_NUMBER', 'no number')
    return { e164: parseNumber(number, { defaultRegion: await regionOf(ctx.tenantId) }).e164 }
  } catch (error) {
    if (!(error instanceof NumberInvalid)) throw error
    return { problem: error.problem }
  }
}
