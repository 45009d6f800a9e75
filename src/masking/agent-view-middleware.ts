/**
 * Pipeline middleware of the masking module: `agentView()` rewrites what an agent's desk and
 * screen pop receive; `dialByUid()` resolves the number behind a UID before an outbound call.
 *
 * @module
 */
import { RecentCache } from '../lib/recent-cache.js'
import type { AgentViewEvent, OutboundCall } from '../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../pipeline/pipeline.js'
import { digitsIn, foldDigits } from './digit-runs.js'
import { NUMBER_VIEW_KINDS, NumberProtector, type NumberViewKind } from './number-protector.js'
import { parseNumber } from './phone-number.js'
import { ScreenPopInsecure, ScreenPopTemplate } from './screen-pop-url.js'
import { UidUnresolved } from './uid-mapping/uid-mapping-protocol.js'

/**
 * Rewrites every number-bearing field of an agent-view event (`customerNumber` and the
 * screen-pop URL's `mobile`) to what the agent may see under the tenant's protection mode.
 *
 * Put it first in the chain. It withholds the number (fully masked) at once, so the rest of
 * the chain, the observers and any denial only ever see the withheld form; once the rest of
 * the chain has allowed the view, it shows the agent's form (masked, or the UID). An error
 * anywhere (a tenant lookup, the UID endpoint) leaves the number withheld. A screen-pop URL
 * that is not HTTPS, or that carries the customer's number outside `mobile` (in any notation:
 * prefixes, separators, full-width digits, a digit dropped), is removed from
 * the event and the view denied with `ERR_SCREENPOP_INSECURE_URL`.
 *
 * @example
 * ```ts
 * const chain = createPipeline<AgentViewEvent>().use(agentView(protector)).use(validateCallEvent())
 * const event = {
 *   type: 'agent-view', tenantId: 'acme', callId: 'c-1', agentId: 'a-7', status: 100,
 *   direction: 'inbound', customerNumber: '+8618912348352',
 *   screenPopUrl: 'https://crm.example.com/#?mobile=18912348352&type=phone',
 * } satisfies AgentViewEvent
 * const decision = await chain.run(event) // `event` itself is never changed
 * // decision.event.customerNumber === '189****8352'
 * // decision.event.screenPopUrl === 'https://crm.example.com/#?mobile=189****8352&type=phone'
 * ```
 */
export function agentView(protector: NumberProtector): Middleware<AgentViewEvent> {
  // A customer's screen-pop URL repeats call after call; its parse (and check) is kept.
  const screenPops = new RecentCache<string, ScreenPopTemplate | ScreenPopInsecure>(5_000)
  const screenPopOf = (url: string): ScreenPopTemplate => {
    let template = screenPops.get(url)
    if (template === undefined) {
      try {
        template = new ScreenPopTemplate(url)
      } catch (error) {
        if (!(error instanceof ScreenPopInsecure)) throw error
        template = error
      }
      screenPops.set(url, template)
    }
    if (template instanceof ScreenPopInsecure) throw template
    return template
  }
  return async function agentView(ctx, next) {
    const event = ctx.event
    const real: unknown = event.customerNumber
    const realUrl: unknown = event.screenPopUrl
    const withheld = protector.withheld(typeof real === 'string' ? real : '').text
    event.customerNumber = withheld
    event.screenPopUrl = undefined
    if (typeof real !== 'string' || real.length === 0) {
      ctx.deny('ERR_EVENT_INVALID', "event field 'customerNumber' is invalid; allowed: a non-empty string", {
        field: 'customerNumber',
      })
      return
    }
    let screenPop: ScreenPopTemplate | undefined
    if (realUrl !== undefined) {
      try {
        if (typeof realUrl !== 'string') throw new ScreenPopInsecure('not a string')
        screenPop = screenPopOf(realUrl)
        if (screenPop.carriesNumber(customerDigits(real))) {
          throw new ScreenPopInsecure("the customer's number appears outside the `mobile` parameter")
        }
      } catch (error) {
        if (!(error instanceof ScreenPopInsecure)) throw error
        ctx.deny(error.code, error.message)
        return
      }
      event.screenPopUrl = screenPop.withMobile(withheld)
    }
    await next()
    if (ctx.denied) return
    const view = await protector.view({
      tenantId: event.tenantId,
      number: real,
      viewer: { id: event.agentId, role: 'agent' },
      callId: event.callId,
    })
    event.customerNumber = view.text
    if (screenPop !== undefined) event.screenPopUrl = screenPop.withMobile(view.text)
    ctx.note('masking.view', VIEW_NOTES[view.kind], VIEW_DETAILS[view.kind])
  }
}

/**
 * Resolves `calleeUid` to the number to dial (UID protection mode: agents dial customers they
 * only know by UID). A UID that cannot be resolved denies the call with
 * `ERR_UID_UNRESOLVED`; nothing is dialled on a guess.
 *
 * @example
 * ```ts
 * const outbound = createPipeline<OutboundCall>().use(dialByUid(protector))
 * const decision = await outbound.run({
 *   type: 'outbound', tenantId: 'acme', callId: 'c-2', calleeUid: '139abcdefg', agentId: 'a-7',
 * })
 * // allowed: decision.event.callee is the E.164 number for the dialler (never shown to the agent)
 * ```
 */
export function dialByUid(protector: NumberProtector): Middleware<OutboundCall> {
  const resolveCallee = async (ctx: CallContext<OutboundCall>, uid: string): Promise<void> => {
    const event = ctx.event
    try {
      event.callee = await protector.resolveUid({
        tenantId: event.tenantId,
        uid,
        actor: { id: event.agentId ?? 'system', role: 'agent' },
        callId: event.callId,
      })
    } catch (error) {
      if (!(error instanceof UidUnresolved)) throw error
      ctx.deny(error.code, error.message, { reason: error.reason })
    }
  }
  return guard<OutboundCall>(function dialByUid(ctx) {
    const uid = ctx.event.calleeUid
    // Calls by number pass straight on; only a UID needs the (remote) lookup.
    return uid === undefined || uid === '' ? undefined : resolveCallee(ctx, uid)
  })
}

const VIEW_NOTES: Record<NumberViewKind, string> = {
  real: 'customer number shown as real',
  masked: 'customer number shown as masked',
  uid: 'customer number shown as uid',
  withheld: 'customer number shown as withheld',
}
const VIEW_DETAILS = Object.fromEntries(
  NUMBER_VIEW_KINDS.map((kind) => [kind, Object.freeze({ view: kind })]),
) as Record<NumberViewKind, Readonly<{ view: NumberViewKind }>>

/**
 * The digits the screen-pop check looks for: the national number, read from whatever form
 * the platform gave (`+86…`, `0086…`, a trunk `0`, a `tel:` URI with an extension,
 * separators, full-width digits). A number that does not read as one is looked for by all
 * of its digits.
 */
function customerDigits(number: string): string {
  const folded = foldDigits(number)
  try {
    return parseNumber(folded).nationalNumber
  } catch (error) {
    if (error instanceof TypeError) throw error
    return digitsIn(folded)
  }
}
