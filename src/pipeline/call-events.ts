/**
 * The typed call events that flow through callwarden's pipelines. Numbers are carried as
 * the platform gave them (E.164 or the `00` platform format); the masking module
 * normalises them.
 *
 * @module
 */

/** The kinds of call event, in the order a call meets them. */
export const CALL_EVENT_TYPES = [
  'inbound',
  'outbound',
  'agent-view',
  'ivr-input',
  'call-ended',
  'recording-ready',
] as const

/** One kind of call event. */
export type CallEventType = (typeof CALL_EVENT_TYPES)[number]

/** Fields every call event has. */
export interface CallEventBase {
  readonly type: CallEventType
  /** The tenant the call belongs to. */
  readonly tenantId: string
  /** The platform's id for the call (session id). */
  readonly callId: string
  /**
   * When the decision is for (calling hours, consent and caps are judged at this instant).
   * A Date, epoch milliseconds, or an RFC 3339 string with a date that exists and an offset
   * (`2026-11-23T10:00:00+08:00`); absent means now, by the pipeline's clock.
   */
  readonly at?: Date | string | number
}

/** A call arriving at the contact center. */
export interface InboundCall extends CallEventBase {
  readonly type: 'inbound'
  /** The caller's number. */
  readonly caller: string
  /** The number dialled (the tenant's service number). */
  readonly callee: string
}

/** Why an outbound call is placed; consent rules depend on it. */
export const OUTBOUND_PURPOSES = ['callback', 'consultation', 'service', 'marketing'] as const
/** One outbound purpose. */
export type OutboundPurpose = (typeof OUTBOUND_PURPOSES)[number]

/** A call the contact center is about to dial. */
export interface OutboundCall extends CallEventBase {
  readonly type: 'outbound'
  /**
   * The number to dial. With `calleeUid`, leave it out: the masking module's `dialByUid()`
   * fills it in from the tenant's UID endpoint.
   */
  callee: string
  /** The caller id presented. */
  readonly caller?: string
  /** An opaque user id to dial instead of a number (UID protection mode). */
  readonly calleeUid?: string
  readonly agentId?: string
  readonly campaignId?: string
  readonly purpose?: OutboundPurpose
}

/** Call status codes carried to the agent's desk and screen pop. */
export const AGENT_VIEW_STATUSES = { ringing: 100, connected: 200, ended: 400 } as const

/** What an agent's desk and screen pop receive about a call. */
export interface AgentViewEvent extends CallEventBase {
  readonly type: 'agent-view'
  readonly agentId: string
  /** The customer's number (rewritten by the masking module before the agent sees it). */
  customerNumber: string
  /** The screen-pop URL opened for the agent, if any. */
  screenPopUrl?: string
  readonly status: (typeof AGENT_VIEW_STATUSES)[keyof typeof AGENT_VIEW_STATUSES]
  readonly direction: 'inbound' | 'outbound'
}

/** Digits (or speech) a caller entered in the IVR. */
export interface IvrInputEvent extends CallEventBase {
  readonly type: 'ivr-input'
  /** The IVR variable, e.g. `dtmf`. */
  readonly variable: string
  /** What the caller keyed in; never logged. The masking module rewrites it redacted. */
  value: string
  /**
   * A keyed hash of what the caller keyed in (`hmac-sha256:<hex>`), set by the masking
   * module when it redacts `value`, so that stored inputs can still be matched against a
   * known value without keeping it.
   */
  valueHash?: string
}

/** A call ended and its service record is about to be written. */
export interface CallEndedEvent extends CallEventBase {
  readonly type: 'call-ended'
  /** The service record, keyed by the reference schema's column names. */
  record: Record<string, unknown>
}

/** A recording was produced and stored under `blobKey`. */
export interface RecordingReadyEvent extends CallEventBase {
  readonly type: 'recording-ready'
  readonly blobKey: string
  readonly durationSeconds?: number
}

/**
 * What a pipeline created with an `eventType` accepts: the event without its `type` and
 * `callId`, which are filled in. An outbound call dialled by UID may leave out `callee`.
 */
export type CallEventInput<E extends CallEventBase> = Omit<E, 'type' | 'callId' | 'callee'> & {
  readonly type?: E['type']
  readonly callId?: string
} & (E extends { callee: string }
    ? E extends OutboundCall
      ? { callee?: string }
      : { callee: string }
    : unknown)

/** Any call event. */
export type CallEvent =
  InboundCall | OutboundCall | AgentViewEvent | IvrInputEvent | CallEndedEvent | RecordingReadyEvent
