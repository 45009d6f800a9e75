/**
 * Who changes policy data: the role check and the audit actor of the policy services.
 *
 * @module
 */
import { CallwardenError } from '../errors.js'
import { VIEWER_ROLES, type Viewer, type ViewerRole } from '../masking/number-protector.js'

/**
 * Throws a `TypeError` for a malformed actor and `ERR_ROLE_FORBIDDEN` when its role is not
 * among `roles`; `what` completes "role 'agent' may not …".
 *
 * @internal
 */
export function assertPolicyActor(actor: Viewer, roles: readonly ViewerRole[], what: string): void {
  if (actor === null || typeof actor !== 'object' || typeof actor.id !== 'string' || actor.id.length === 0) {
    throw new TypeError('the actor must be { id: string, role: ViewerRole }')
  }
  if (!(VIEWER_ROLES as readonly unknown[]).includes(actor.role)) {
    throw new TypeError(`the actor's role must be one of ${VIEWER_ROLES.join(', ')}`)
  }
  if (!roles.includes(actor.role)) {
    throw new CallwardenError(
      'ERR_ROLE_FORBIDDEN',
      `role '${actor.role}' may not ${what}; allowed: ${roles.join(', ')}`,
    )
  }
}

/** The audit actor of `by` (id, role and source address only). @internal */
export function policyActorOf(by: Viewer): Viewer {
  return by.sourceAddress === undefined
    ? { id: by.id, role: by.role }
    : { id: by.id, role: by.role, sourceAddress: by.sourceAddress }
}
