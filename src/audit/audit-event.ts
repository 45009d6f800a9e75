/**
 * The audit event model and the narrow {@link AuditSink} interface every module writes
 * through. The hash-chained log that implements the sink lives beside this file; modules
 * depend only on the interface, so tests can hand them a recording fake.
 *
 * @module
 */

/**
 * The actions callwarden itself records, namespaced by subject. Hosts may record their
 * own actions too: any lower-case dotted name (see {@link AUDIT_ACTION_PATTERN}).
 */
export const AUDIT_ACTIONS = [
  'agent.login',
  'agent.logout',
  'agent.status.change',
  'config.change',
  'role.permission.change',
  'ivr.change',
  'blacklist.add',
  'blacklist.remove',
  'consent.grant',
  'consent.revoke',
  'number.unmask',
  'number.uid.unresolved',
  'recording.play',
  'recording.download',
  'export.create',
  'export.download',
  'deletion.request',
  'deletion.execute',
  'purge.run',
  'hold.place',
  'hold.release',
  'audit.query',
  'audit.export',
  'call.decision',
] as const

/** One action callwarden records. */
export type BuiltInAuditAction = (typeof AUDIT_ACTIONS)[number]

/**
 * An action name: a built-in one, or a host's own lower-case dotted name such as
 * `crm.ticket.open`. The `string & {}` keeps editor completion for the built-in names.
 */
export type AuditAction = BuiltInAuditAction | (string & {})

/** What a host-defined action name must look like: two to four dotted lower-case segments. */
export const AUDIT_ACTION_PATTERN = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){1,3}$/

/** How the audited action ended. */
export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const
/** One outcome. */
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

/** Who acted. */
export interface AuditActor {
  /** A user, agent or service id; `system` for callwarden's own jobs. */
  readonly id: string
  /** The actor's role, e.g. `admin`, `agent`, `auditor`, `system`. */
  readonly role: string
  /** The network address the action came from, when known. */
  readonly sourceAddress?: string
}

/** What was acted on. */
export interface AuditTarget {
  /** The kind of object, e.g. `call`, `recording`, `blacklist-entry`, `tenant`. */
  readonly type: string
  /** Its id. Never a real phone number: use a call id, a UID or an entry id. */
  readonly id: string
}

/** An event as a module hands it to the sink; the log adds sequence, id, time and hash. */
export interface AuditEventInput {
  readonly tenantId: string
  readonly actor: AuditActor
  readonly action: AuditAction
  readonly target: AuditTarget
  readonly outcome: AuditOutcome
  /** A stable `ERR_*` code or short reason for failures and denials. */
  readonly reason?: string
  /** Further facts as JSON; PII columns of the data map are redacted before storage. */
  readonly details?: Readonly<Record<string, unknown>>
}

/** The version of the event format below; part of every hashed event. */
export const AUDIT_EVENT_VERSION = 1

/**
 * An event as the log recorded it: the input, redacted, plus the tenant's sequence number,
 * an id and the time. This object, serialised as canonical JSON (RFC 8785), is what the
 * hash chain covers; optional members that are absent are left out, never `null`.
 */
export interface AuditEvent {
  /** The event format, {@link AUDIT_EVENT_VERSION}. */
  readonly v: number
  readonly tenantId: string
  /** 1, 2, 3, ... per tenant, without gaps. */
  readonly seq: number
  /** A random UUID. */
  readonly id: string
  /** When the log recorded the event, ISO 8601 UTC with milliseconds. */
  readonly time: string
  readonly actor: AuditActor
  readonly action: AuditAction
  readonly target: AuditTarget
  readonly outcome: AuditOutcome
  readonly reason?: string
  readonly details?: Readonly<Record<string, unknown>>
}

/** An event with its place in the chain. */
export interface AuditRecord {
  readonly event: AuditEvent
  /** SHA-256 (lower-case hex) of the previous event's hash and this event's canonical JSON. */
  readonly hash: string
}

/**
 * Where modules send audit events. Appending resolves once the event is durable; a
 * rejected append means the event was not recorded and the caller must not report the
 * audited action as done.
 */
export interface AuditSink {
  append(event: AuditEventInput): Promise<unknown>
}
