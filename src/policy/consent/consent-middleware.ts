/**
 * The `consent()` middleware of the outbound chain.
 *
 * @module
 */
import { whenReady, type Awaitable } from '../../lib/awaitable.js'
import { NumberInvalid } from '../../masking/phone-number.js'
import type { OutboundCall } from '../../pipeline/call-events.js'
import { guard, type CallContext, type Middleware } from '../../pipeline/pipeline.js'
import { readCallNumber, type RegionOf } from '../callee-number.js'
import type { ConsentPurpose } from './consent-record.js'
import type { ConsentCheck } from './consent-service.js'

/** The purposes that need a live consent unless a tenant says otherwise. */
export const DEFAULT_CONSENT_REQUIRED_FOR: readonly ConsentPurpose[] = Object.freeze(['marketing'])

/** The note an allowed call gets when its consent was checked and found. */
export const CONSENT_FOUND = 'CONSENT_FOUND'

/** Options of {@link consent}. */
export interface ConsentMiddlewareOptions {
  /** Checks the ledger (`cw.policy.consent`). */
  readonly ledger: {
    check(request: {
      readonly tenantId: string
      readonly number: string
      readonly purpose: ConsentPurpose
      readonly at?: Date
    }): Promise<ConsentCheck>
  }
  /**
   * The purposes that need a live consent, for all tenants or per tenant.
   * @defaultValue `['marketing']`
   */
  readonly requiredFor?:
    | readonly ConsentPurpose[]
    | ((tenantId: string) => readonly ConsentPurpose[] | Promise<readonly ConsentPurpose[]>)
  /**
   * The purpose a call without `purpose` is judged as. Unset, such calls are not checked
   * for consent; set `'marketing'` to make every undeclared call need one.
   * @defaultValue none
   */
  readonly unspecifiedPurpose?: ConsentPurpose
  /**
   * The region a tenant's national numbers are read in.
   * @defaultValue `() => 'CN'`
   */
  readonly regionOf?: RegionOf
}

/**
 * Denies outbound calls whose purpose needs consent when the callee has no live consent for
 * it, with `ERR_POLICY_NO_CONSENT` and `details: { purpose, state }` (`state`: `none`,
 * `expired` or `revoked`; never the number). An allowed call that needed consent gets the
 * note `CONSENT_FOUND` with `{ consentId }`. Consent is judged at the decision instant
 * `ctx.at`. A callee number that cannot be read has no consent (`state: 'none'`).
 *
 * @example
 * ```ts
 * const outbound = createPipeline<OutboundCall>().use(
 *   consent({ ledger: cw.policy.consent, requiredFor: ['marketing', 'consultation'] }),
 * )
 * const decision = await outbound.run({ type: 'outbound', tenantId: 'acme', callId: 'c-1', callee: '+8613988888888', purpose: 'marketing' })
 * decision.reasons[0] // { code: 'ERR_POLICY_NO_CONSENT', details: { purpose: 'marketing', state: 'none' }, ... }
 * ```
 */
export function consent(options: ConsentMiddlewareOptions): Middleware<OutboundCall> {
  const regionOf = options.regionOf ?? (() => 'CN')
  const given = options.requiredFor ?? DEFAULT_CONSENT_REQUIRED_FOR
  const requiredFor = typeof given === 'function' ? given : () => given
  const check = async (ctx: CallContext<OutboundCall>, purpose: ConsentPurpose): Promise<void> => {
    const callee = await readCallNumber(ctx, 'callee', regionOf)
    const result: ConsentCheck =
      callee instanceof NumberInvalid
        ? { live: false, state: 'none' }
        : await options.ledger.check({ tenantId: ctx.tenantId, number: callee.e164, purpose, at: ctx.at })
    if (!result.live) {
      ctx.deny(
        'ERR_POLICY_NO_CONSENT',
        `calls for '${purpose}' need the callee's live consent; ${
          result.state === 'none' ? 'none is on record' : `the latest one is ${result.state}`
        }`,
        { purpose, state: result.state },
      )
      return
    }
    ctx.note(CONSENT_FOUND, `the callee consented to '${purpose}' calls`, { consentId: result.consent.id })
  }
  const judge = (
    ctx: CallContext<OutboundCall>,
    purpose: ConsentPurpose,
    required: readonly ConsentPurpose[],
  ): Awaitable<void> => (required.includes(purpose) ? check(ctx, purpose) : undefined)
  return guard<OutboundCall>(function consent(ctx) {
    const purpose = ctx.event.purpose ?? options.unspecifiedPurpose
    // Calls whose purpose needs no consent are passed on without a promise.
    if (purpose === undefined) return
    const required = requiredFor(ctx.tenantId)
    return whenReady(required, (r) => judge(ctx, purpose, r))
  })
}
