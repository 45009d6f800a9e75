/**
 * `callwarden/pipeline` — the call pipeline core: typed call events, middleware
 * composition and decisions.
 *
 * @module
 */
export {
  AGENT_VIEW_STATUSES,
  CALL_EVENT_TYPES,
  OUTBOUND_PURPOSES,
  type AgentViewEvent,
  type CallEndedEvent,
  type CallEvent,
  type CallEventBase,
  type CallEventInput,
  type CallEventType,
  type InboundCall,
  type IvrInputEvent,
  type OutboundCall,
  type OutboundPurpose,
  type RecordingReadyEvent,
} from './call-events.js'
export { VERDICTS, type Decision, type DecisionReason, type Verdict } from './decision.js'
export {
  createPipeline,
  failClosed,
  guard,
  type Check,
  type CallContext,
  type DecisionObserver,
  type FailMode,
  type Middleware,
  type Pipeline,
  type PipelineOptions,
  type RunOptions,
} from './pipeline.js'
export { TENANT_ID_PATTERN, validateCallEvent } from './validate-call-event.js'
