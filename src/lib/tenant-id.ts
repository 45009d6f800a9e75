/**
 * Tenant ids, shared by every layer: lower-case letters, digits, `_` and `-`, 1–40
 * characters, starting with a letter or digit (they also name per-tenant tables).
 *
 * @module
 */
import { CallwardenError } from '../errors.js'

/** The shape of a tenant id. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/

/** Throws `ERR_TENANT_INVALID` unless `id` is a well-formed tenant id. */
export function assertTenantId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !TENANT_ID_PATTERN.test(id)) {
    throw new CallwardenError(
      'ERR_TENANT_INVALID',
      `tenant id ${JSON.stringify(id)} is malformed; allowed: 1-40 of a-z, 0-9, '_' and '-', starting with a letter or digit`,
    )
  }
}
