/**
 * Tenant ids, shared by every layer: lower-case letters, digits, `_` and `-`, 1–40
 * characters, starting with a letter or digit (they also name per-tenant tables).
 *
 * @module
 */
import { CallwardenError } from '../errors.js'

/** The shape of a tenant id. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/

/** The id of callwarden's global audit trail (changes of global lists), which no tenant owns. */
export const GLOBAL_AUDIT_TENANT_ID = 'system'

/** Ids no tenant may be created with: they name callwarden's own trails. */
export const RESERVED_TENANT_IDS = [GLOBAL_AUDIT_TENANT_ID] as const

/** Throws `ERR_TENANT_INVALID` unless `id` is a well-formed tenant id. */
export function assertTenantId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !TENANT_ID_PATTERN.test(id)) {
    throw new CallwardenError(
      'ERR_TENANT_INVALID',
      `tenant id ${JSON.stringify(id)} is malformed; allowed: 1-40 of a-z, 0-9, '_' and '-', starting with a letter or digit`,
    )
  }
}

/**
 * Throws `ERR_TENANT_INVALID` unless `id` is a well-formed tenant id that a new tenant may
 * take (not one of {@link RESERVED_TENANT_IDS}).
 */
export function assertNewTenantId(id: unknown): asserts id is string {
  assertTenantId(id)
  if ((RESERVED_TENANT_IDS as readonly string[]).includes(id)) {
    throw new CallwardenError(
      'ERR_TENANT_INVALID',
      `tenant id '${id}' is reserved (it names callwarden's global audit trail); reserved: ${RESERVED_TENANT_IDS.join(', ')}`,
    )
  }
}
