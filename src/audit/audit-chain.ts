/**
 * The hash chain. For each tenant, event `seq` has
 *
 * ```
 * hash(seq) = lowercase-hex( SHA-256( UTF-8( hash(seq - 1) ‖ canonicalJson(event) ) ) )
 * ```
 *
 * where `hash(seq - 1)` is the previous event's hash as 64 lower-case hex characters
 * (64 × `0` before the first event) and `canonicalJson(event)` is the RFC 8785 form of the
 * {@link AuditEvent} object. The input is therefore 64 ASCII bytes followed by the event's
 * canonical JSON bytes, with nothing between them.
 *
 * @module
 */
import * as nodeCrypto from 'node:crypto'
import type { AuditEvent } from './audit-event.js'
import { canonicalJson } from './canonical-json.js'

/** The hash before a tenant's first event. */
export const GENESIS_HASH = '0'.repeat(64)

/** The shape of a chain hash. */
export const HASH_PATTERN = /^[0-9a-f]{64}$/

// crypto.hash (Node >= 20.12) hashes a string in one call, several times faster than a
// Hash object for inputs this small.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/** SHA-256 of a UTF-8 string, as lower-case hex. */
export function sha256Hex(data: string): string {
  return oneShot === undefined
    ? nodeCrypto.createHash('sha256').update(data).digest('hex')
    : oneShot('sha256', data, 'hex')
}

/** The chain hash of an event given as canonical JSON, following `prevHash`. */
export function chainHash(prevHash: string, canonicalEvent: string): string {
  return sha256Hex(prevHash + canonicalEvent)
}

/** The chain hash of an event object, following `prevHash`. */
export function eventHash(prevHash: string, event: AuditEvent): string {
  return chainHash(prevHash, canonicalJson(event))
}
