/**
 * The `blacklist()` middleware of the inbound and outbound chains.
 *
 * @module
 */
import { whenReady, type Awaitable } from '../../lib/awaitable.js'
import { NumberInvalid, type ParsedNumber } from '../../masking/phone-number.js'
import type { InboundCall, OutboundCall } from '../../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../../pipeline/pipeline.js'
import { PARTY_OF_DIRECTION, readCallNumber, type RegionOf } from '../callee-number.js'
import type { BlacklistMatch } from './blacklist-service.js'

/** Options of {@link blacklist}. */
export interface BlacklistMiddlewareOptions<
  E extends InboundCall | OutboundCall = InboundCall | OutboundCall,
> {
  /**
   * The chain the check is in: `inbound` judges the caller, `outbound` the callee. Fixed here
   * rather than read from each event, so that an event cannot choose which party is checked.
   */
  readonly direction: E['type']
  /** Finds the entry that blocks a number (`cw.policy.blacklist`). */
  readonly list: {
    match(
      tenantId: string,
      e164: string,
      direction: 'inbound' | 'outbound',
      at: Date,
    ): Promise<BlacklistMatch | undefined>
    /** {@link match} answering without a promise when it can (`BlacklistService.matchNow`). */
    matchNow?(
      tenantId: string,
      e164: string,
      direction: 'inbound' | 'outbound',
      at: Date,
    ): Awaitable<BlacklistMatch | undefined>
  }
  /**
   * The region a tenant's national numbers are read in.
   * @defaultValue `() => 'CN'`
   */
  readonly regionOf?: RegionOf
}

/**
 * Denies inbound calls from, and outbound calls to, a number on the tenant's blacklist, with
 * `ERR_POLICY_BLACKLISTED` and the entry in `details` (`entryId`, `direction`, `kind`,
 * `reason`, `expiresAt`; never the number). An inbound caller whose number cannot be read
 * (withheld, anonymous) matches no entry; the reasons note it. A lookup that fails throws,
 * and the pipeline's fail mode denies the call (`ERR_POLICY_UNAVAILABLE`). The party judged
 * is the one `options.direction` names, whatever fields the event carries.
 *
 * @example
 * ```ts
 * const inbound = createPipeline<InboundCall>({ eventType: 'inbound' }).use(
 *   blacklist({ direction: 'inbound', list: cw.policy.blacklist }),
 * )
 * const decision = await inbound.run({ type: 'inbound', tenantId: 'acme', caller: '+8613988888888', callee: '4001234567' })
 * decision.reasons[0] // { code: 'ERR_POLICY_BLACKLISTED', details: { entryId: 'bl-…', direction: 'both', kind: 'exact', ... } }
 * ```
 */
export function blacklist<E extends InboundCall | OutboundCall>(
  options: BlacklistMiddlewareOptions<E>,
): Middleware<E> {
  const direction = options?.direction
  if (direction !== 'inbound' && direction !== 'outbound') {
    throw new TypeError(
      `blacklist() needs options.direction, 'inbound' or 'outbound'; got ${String(direction)}`,
    )
  }
  const party = PARTY_OF_DIRECTION[direction]
  const regionOf = options.regionOf ?? (() => 'CN')
  const list = options.list
  const lookup = list.matchNow?.bind(list) ?? list.match.bind(list)
  const deny = (ctx: CallContext<E>, party: string, entry: BlacklistMatch | undefined): void => {
    if (entry === undefined) return
    ctx.deny(
      'ERR_POLICY_BLACKLISTED',
      `the ${party} is on the tenant's blacklist (${entry.kind} entry ${entry.id})`,
      {
        entryId: entry.id,
        direction: entry.direction,
        kind: entry.kind,
        reason: entry.reason ?? null,
        expiresAt: entry.expiresAt?.toISOString() ?? null,
      },
    )
  }
  const judge = (ctx: CallContext<E>, number: ParsedNumber | NumberInvalid): Awaitable<void> => {
    if (number instanceof NumberInvalid) {
      ctx.note('policy.blacklist.unidentified', `the ${party} number cannot be read; no entry can match`, {
        problem: number.problem,
      })
      return
    }
    const entry = lookup(ctx.tenantId, number.e164, direction, ctx.at)
    return whenReady(entry, (e) => deny(ctx, party, e))
  }
  return guard<E>(function blacklist(ctx) {
    const number = readCallNumber(ctx, party, regionOf)
    return whenReady(number, (n) => judge(ctx, n))
  })
}
