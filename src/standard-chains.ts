/**
 * The ready-made pipelines `createCallwarden()` offers. Each starts with event validation
 * and the tenant-status check; the masking and policy modules add their middleware here as
 * they land.
 *
 * @module
 */
import type { Clock } from './clock.js'
import type { Logger } from './logger.js'
import type {
  AgentViewEvent,
  CallEndedEvent,
  CallEvent,
  InboundCall,
  IvrInputEvent,
  OutboundCall,
  RecordingReadyEvent,
} from './pipeline/call-events.js'
import { createPipeline, type Middleware, type Pipeline } from './pipeline/pipeline.js'
import { validateCallEvent } from './pipeline/validate-call-event.js'
import type { TenantRegistry } from './store/tenant-registry.js'

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
  return async function tenantStatus(ctx, next) {
    const tenant = await tenants.find(ctx.tenantId)
    if (tenant === undefined) {
      ctx.deny('ERR_TENANT_INVALID', `tenant '${ctx.tenantId}' is not registered`)
      return
    }
    if (tenant.status !== 'active') {
      ctx.deny('ERR_TENANT_INACTIVE', `tenant '${ctx.tenantId}' is ${tenant.status}`, {
        status: tenant.status,
      })
      return
    }
    await next()
  }
}

/** @internal */
export function createStandardChains(deps: {
  readonly tenants: TenantRegistry
  readonly clock: Clock
  readonly logger: Logger
  readonly observeAllows: boolean
}): StandardChains {
  const chain = <E extends CallEvent>(name: string): Pipeline<E> =>
    createPipeline<E>({
      name,
      clock: deps.clock,
      onObserverError: (error) =>
        deps.logger.error({ err: error, pipeline: name }, 'decision observer failed'),
    })
      .use(validateCallEvent<E>())
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
  return {
    inbound: chain<InboundCall>('inbound'),
    outbound: chain<OutboundCall>('outbound'),
    agentView: chain<AgentViewEvent>('agent-view'),
    ivrInput: chain<IvrInputEvent>('ivr-input'),
    callEnded: chain<CallEndedEvent>('call-ended'),
    recordingReady: chain<RecordingReadyEvent>('recording-ready'),
  }
}
