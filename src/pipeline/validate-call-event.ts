/**
 * A middleware that checks a call event's shape before anything else reads it, so that
 * later middleware can rely on the fields it needs. Bad events are denied with
 * `ERR_EVENT_INVALID`; the reason names the field and what is allowed, never its value.
 *
 * @module
 */
import { CALL_EVENT_TYPES, OUTBOUND_PURPOSES, type CallEvent, type CallEventType } from './call-events.js'
import { eventInstant, guard, type Middleware } from './pipeline.js'
import { INSTANT_FORMS } from '../lib/instant.js'
import { TENANT_ID_PATTERN } from '../lib/tenant-id.js'

export { TENANT_ID_PATTERN }

const REQUIRED_STRINGS: Record<CallEvent['type'], readonly string[]> = {
  inbound: ['caller', 'callee'],
  outbound: [],
  'agent-view': ['agentId', 'customerNumber', 'direction'],
  'ivr-input': ['variable', 'value'],
  'call-ended': [],
  'recording-ready': ['blobKey'],
}

/**
 * Returns what is wrong with `event`, or `undefined` when it is well-formed.
 * @internal
 */
export function callEventProblem(
  event: unknown,
  eventType?: CallEventType,
): { field: string; allowed: string } | undefined {
  if (event === null || typeof event !== 'object') {
    return { field: '(event)', allowed: 'an object' }
  }
  const e = event as Record<string, unknown>
  if (eventType !== undefined && e.type !== eventType) {
    return { field: 'type', allowed: `'${eventType}'` }
  }
  if (typeof e.type !== 'string' || !(CALL_EVENT_TYPES as readonly string[]).includes(e.type)) {
    return { field: 'type', allowed: `one of ${CALL_EVENT_TYPES.join(', ')}` }
  }
  if (typeof e.tenantId !== 'string' || !TENANT_ID_PATTERN.test(e.tenantId)) {
    return { field: 'tenantId', allowed: `a string matching ${TENANT_ID_PATTERN}` }
  }
  if (typeof e.callId !== 'string' || e.callId.length === 0 || e.callId.length > 128) {
    return { field: 'callId', allowed: 'a non-empty string of at most 128 characters' }
  }
  for (const field of REQUIRED_STRINGS[e.type as CallEvent['type']]) {
    if (typeof e[field] !== 'string' || (e[field] as string).length === 0) {
      return { field, allowed: 'a non-empty string' }
    }
  }
  if (e.at !== undefined && eventInstant(e.at) === undefined) {
    return { field: 'at', allowed: INSTANT_FORMS }
  }
  if (e.type === 'outbound') {
    const hasCallee = typeof e.callee === 'string' && e.callee.length > 0
    const hasUid = typeof e.calleeUid === 'string' && e.calleeUid.length > 0
    if (!hasCallee && !hasUid) {
      return { field: 'callee', allowed: 'a number in `callee` or a user id in `calleeUid`' }
    }
    if (e.purpose !== undefined && !(OUTBOUND_PURPOSES as readonly unknown[]).includes(e.purpose)) {
      return { field: 'purpose', allowed: `one of ${OUTBOUND_PURPOSES.join(', ')}` }
    }
  }
  if (e.type === 'call-ended' && (e.record === null || typeof e.record !== 'object')) {
    return { field: 'record', allowed: 'an object of service-record columns' }
  }
  return undefined
}

/**
 * Denies malformed events with `ERR_EVENT_INVALID`. Put it first in a chain. Give the
 * chain's `eventType` to also deny events of any other type (a pipeline created with an
 * `eventType` already does).
 *
 * @example
 * ```ts
 * const outbound = createPipeline<OutboundCall>().use(validateCallEvent('outbound'))
 * ```
 */
export function validateCallEvent<E extends CallEvent>(eventType?: E['type']): Middleware<E> {
  if (eventType !== undefined && !(CALL_EVENT_TYPES as readonly unknown[]).includes(eventType)) {
    throw new TypeError(
      `validateCallEvent() takes one of ${CALL_EVENT_TYPES.join(', ')}, got ${String(eventType)}`,
    )
  }
  return guard<E>(function validateCallEvent(ctx) {
    const problem = callEventProblem(ctx.event, eventType)
    if (problem !== undefined) {
      ctx.deny(
        'ERR_EVENT_INVALID',
        `event field '${problem.field}' is invalid; allowed: ${problem.allowed}`,
        {
          field: problem.field,
        },
      )
    }
  })
}
