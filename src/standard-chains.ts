/**
 * The ready-made pipelines `createCallwarden()` offers. Each has event validation and the
 * tenant-status check. Masking comes first where an event carries personal data (agent views,
 * IVR inputs), so that nothing later in the chain (a denial, an observer, a log line) sees the
 * real value; dialling by UID resolves the number after the checks. Policy follows: outbound
 * calls pass, after `dialByUid()`, the in-memory checks first — `numberChecks()`, `dnc()`,
 * `blacklist()`, `callingHours()` — then `consent()` (a keyed read for purposes that need it),
 * and last the two checks that spend something, `burstGuard()` and `attemptCap()`, so that a
 * call another check denies never counts. Inbound calls pass `blacklist()` after the tenant
 * check; they get no number checks: the caller's number is what the network presented (it
 * may be withheld), and answering costs nothing.
 *
 * @module
 */
import type { Clock } from './clock.js'
import { agentView, dialByUid } from './masking/agent-view-middleware.js'
import { DEFAULT_IVR_WITHHELD_VARIABLES, ivrInput } from './masking/ivr-input-middleware.js'
import type { Masking } from './masking/masking-service.js'
import type { Logger } from './logger.js'
import { attemptCap } from './policy/attempts/attempt-cap-middleware.js'
import { blacklist } from './policy/blacklist/blacklist-middleware.js'
import { callingHours } from './policy/calling-hours/calling-hours-middleware.js'
import { consent } from './policy/consent/consent-middleware.js'
import { PARSED_CALLEE_STATE, numberChecks } from './policy/number-checks/number-checks-middleware.js'
import type { AttemptCap } from './policy/attempts/attempt-cap.js'
import { calleeLocale } from './policy/calling-hours/callee-locale.js'
import type { CallingHoursEngine } from './policy/calling-hours/calling-hours-engine.js'
import type { ParsedNumber } from './masking/phone-number.js'
import type { Policy } from './policy/policy-service.js'
import { burstGuard } from './policy/rate/burst-guard-middleware.js'
import type {
  AgentViewEvent,
  CallEndedEvent,
  CallEvent,
  InboundCall,
  IvrInputEvent,
  OutboundCall,
  RecordingReadyEvent,
} from './pipeline/call-events.js'
import {
  createPipeline,
  guard,
  type CallContext,
  type Middleware,
  type Pipeline,
} from './pipeline/pipeline.js'
import { validateCallEvent } from './pipeline/validate-call-event.js'
import type { Tenant, TenantRegistry } from './store/tenant-registry.js'

/** The standard chains, one per event type. */
export interface StandardChains {
  readonly inbound: Pipeline<InboundCall>
  readonly outbound: Pipeline<OutboundCall>
  readonly agentView: Pipeline<AgentViewEvent>
  readonly ivrInput: Pipeline<IvrInputEvent>
  readonly callEnded: Pipeline<CallEndedEvent>
  readonly recordingReady: Pipeline<RecordingReadyEvent>
}

/**
 * Denies events of tenants that are unknown (`ERR_TENANT_INVALID`) or not active
 * (`ERR_TENANT_INACTIVE`): a suspended or terminated tenant places no calls and receives
 * no new data.
 */
export function tenantStatus<E extends CallEvent>(tenants: TenantRegistry): Middleware<E> {
  const judge = (ctx: CallContext<E>, tenant: Tenant | undefined): void => {
    if (tenant === undefined) {
      ctx.deny('ERR_TENANT_INVALID', `tenant '${ctx.tenantId}' is not registered`)
    } else if (tenant.status !== 'active') {
      ctx.deny('ERR_TENANT_INACTIVE', `tenant '${ctx.tenantId}' is ${tenant.status}`, {
        status: tenant.status,
      })
    }
  }
  return guard<E>(function tenantStatus(ctx) {
    const recent = tenants.recentlyRead(ctx.tenantId)
    if (recent !== undefined) return judge(ctx, recent.tenant)
    return tenants.findRecent(ctx.tenantId).then((tenant) => judge(ctx, tenant))
  })
}

/**
 * The attempt caps the calling-hours rule packs set for a callee (e.g. Florida: 3 calls in
 * 24 hours), read from the number `numberChecks()` parsed. A statute's "on the same subject"
 * is counted as every call to the number, the stricter reading.
 */
function statutoryCaps(
  engine: CallingHoursEngine,
): (ctx: CallContext<OutboundCall>) => readonly AttemptCap[] {
  return (ctx) => {
    const parsed = ctx.state.get(PARSED_CALLEE_STATE) as ParsedNumber | undefined
    if (parsed === undefined) return []
    return engine.attemptCapsFor(calleeLocale(parsed), ctx.event.purpose, ctx.at).map((rule) => ({
      id: rule.ruleId,
      max: rule.max,
      windowHours: rule.windowHours,
      citation: rule.citation,
    }))
  }
}

/** @internal */
export function createStandardChains(deps: {
  readonly tenants: TenantRegistry
  readonly clock: Clock
  readonly logger: Logger
  readonly observeAllows: boolean
  /** How long a decision may wait for its checks (`pipeline.decisionDeadlineMs`). */
  readonly decisionDeadlineMs?: number
  readonly masking: Masking
  readonly policy: Policy
  /** Refuse shared-cost numbers before dialling. */
  readonly blockSharedCost: boolean
  /** Each tenant's IVR hash key. */
  readonly ivrHashKey: (tenantId: string) => Uint8Array
  /** IVR variables withheld entirely besides the default PIN-like ones (`masking.ivrWithholdVariables`). */
  readonly ivrWithholdVariables?: readonly string[]
}): StandardChains {
  const chain = <E extends CallEvent>(
    eventType: E['type'],
    name: string = eventType,
    first?: Middleware<E>,
  ): Pipeline<E> => {
    let pipeline = createPipeline<E>({
      name,
      eventType,
      clock: deps.clock,
      ...(deps.decisionDeadlineMs === undefined ? {} : { deadlineMs: deps.decisionDeadlineMs }),
      onObserverError: (error) =>
        deps.logger.error({ err: error, pipeline: name }, 'decision observer failed'),
    })
    if (first !== undefined) pipeline = pipeline.use(first)
    return pipeline
      .use(validateCallEvent<E>(eventType))
      .use(tenantStatus<E>(deps.tenants))
      .observe((decision) => {
        if (decision.verdict === 'allow' && !deps.observeAllows) return
        deps.logger.info(
          {
            pipeline: name,
            tenantId: decision.event.tenantId,
            callId: decision.event.callId,
            verdict: decision.verdict,
            reasons: decision.reasons.map((r) => r.code),
          },
          'call decision',
        )
      })
  }
  const regionOf = deps.policy.regionOf
  return {
    inbound: chain<InboundCall>('inbound').use(
      blacklist<InboundCall>({ direction: 'inbound', list: deps.policy.blacklist, regionOf }),
    ),
    outbound: chain<OutboundCall>('outbound')
      .use(dialByUid(deps.masking.protector))
      .use(numberChecks({ regionOf, blockSharedCost: deps.blockSharedCost }))
      .use(deps.policy.dncPolicy.middleware())
      .use(blacklist<OutboundCall>({ direction: 'outbound', list: deps.policy.blacklist, regionOf }))
      .use(
        callingHours({
          engine: deps.policy.callingHours.engine,
          regionOf,
          overridesOf: deps.policy.callingHours.overridesOf,
        }),
      )
      // Consent, then the two checks that spend something: the burst guard (in memory, so a
      // burst is shed before any database work) and, last, the attempt cap, so that calls any
      // other check denies never count as attempts.
      .use(consent({ ledger: deps.policy.consent, requiredFor: deps.policy.consentRequiredFor, regionOf }))
      .use(burstGuard({ guard: deps.policy.rate }))
      .use(
        attemptCap({
          ledger: deps.policy.attempts,
          caps: deps.policy.attemptCapsFor,
          extraCaps: statutoryCaps(deps.policy.callingHours.engine),
          regionOf,
        }),
      ),
    agentView: chain<AgentViewEvent>('agent-view', 'agent-view', agentView(deps.masking.protector)),
    ivrInput: chain<IvrInputEvent>(
      'ivr-input',
      'ivr-input',
      ivrInput({
        hashKey: deps.ivrHashKey,
        withholdVariables: [...DEFAULT_IVR_WITHHELD_VARIABLES, ...(deps.ivrWithholdVariables ?? [])],
      }),
    ),
    callEnded: chain<CallEndedEvent>('call-ended'),
    recordingReady: chain<RecordingReadyEvent>('recording-ready'),
  }
}
