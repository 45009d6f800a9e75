/**
 * The `blacklist()` middleware of the inbound and outbound chains.
 *
 * @module
 */
import { NumberInvalid, parseNumber, type ParsedNumber } from '../../masking/phone-number.js'
import type { InboundCall, OutboundCall } from '../../pipeline/call-events.js'
import type { Middleware } from '../../pipeline/pipeline.js'
import { PARSED_CALLEE_STATE } from '../number-checks/number-checks-middleware.js'
import type { BlacklistMatch } from './blacklist-service.js'

/** Options of {@link blacklist}. */
export interface BlacklistMiddlewareOptions {
  /** Finds the entry that blocks a number (`cw.policy.blacklist`). */
  readonly list: {
    match(
      tenantId: string,
      e164: string,
      direction: 'inbound' | 'outbound',
      at: Date,
    ): Promise<BlacklistMatch | undefined>
  }
  /**
   * The region a tenant's national numbers are read in.
   * @defaultValue `() => 'CN'`
   */
  readonly regionOf?: (tenantId: string) => string | Promise<string>
}

/**
 * Denies inbound calls from, and outbound calls to, a number on the tenant's blacklist, with
 * `ERR_POLICY_BLACKLISTED` and the entry in `details` (`entryId`, `direction`, `kind`,
 * `reason`, `expiresAt`; never the number). An inbound caller whose number cannot be read
 * (withheld, anonymous) matches no entry; the reasons note it. A lookup that fails throws,
 * and the pipeline's fail mode denies the call (`ERR_POLICY_UNAVAILABLE`).
 *
 * @example
 * ```ts
 * const inbound = createPipeline<InboundCall>().use(blacklist({ list: cw.policy.blacklist }))
 * const decision = await inbound.run({ type: 'inbound', tenantId: 'acme', caller: '+8613988888888', callee: '4001234567' })
 * decision.reasons[0] // { code: 'ERR_POLICY_BLACKLISTED', details: { entryId: 'bl-…', direction: 'both', kind: 'exact', ... } }
 * ```
 */
export function blacklist<E extends InboundCall | OutboundCall>(
  options: BlacklistMiddlewareOptions,
): Middleware<E> {
  const regionOf = options.regionOf ?? (() => 'CN')
  return async function blacklist(ctx, next) {
    const event = ctx.event as InboundCall | OutboundCall
    const direction = event.type === 'inbound' ? 'inbound' : 'outbound'
    let parsed =
      direction === 'outbound' ? (ctx.state.get(PARSED_CALLEE_STATE) as ParsedNumber | undefined) : undefined
    if (parsed === undefined) {
      const number: unknown = direction === 'inbound' ? (event as InboundCall).caller : event.callee
      try {
        if (typeof number !== 'string') throw new NumberInvalid('NOT_A_NUMBER', 'no number')
        parsed = parseNumber(number, { defaultRegion: await regionOf(ctx.tenantId) })
      } catch (error) {
        if (!(error instanceof NumberInvalid)) throw error
        ctx.note(
          'policy.blacklist.unidentified',
          `the ${direction === 'inbound' ? 'caller' : 'callee'} number cannot be read; no entry can match`,
          {
            problem: error.problem,
          },
        )
        await next()
        return
      }
    }
    const entry = await options.list.match(ctx.tenantId, parsed.e164, direction, ctx.at)
    if (entry !== undefined) {
      ctx.deny(
        'ERR_POLICY_BLACKLISTED',
        `the ${direction === 'inbound' ? 'caller' : 'callee'} is on the tenant's blacklist (${entry.kind} entry ${entry.id})`,
        {
          entryId: entry.id,
          direction: entry.direction,
          kind: entry.kind,
          reason: entry.reason ?? null,
          expiresAt: entry.expiresAt?.toISOString() ?? null,
        },
      )
      return
    }
    await next()
  }
}
