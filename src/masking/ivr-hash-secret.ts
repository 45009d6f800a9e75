/**
 * The secret behind IVR value hashes. One secret per deployment; each tenant's HMAC key is
 * derived from it with HKDF-SHA256 and the tenant id, so a hash from one tenant can never be
 * matched against another tenant's inputs.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { hkdfSync, randomBytes } from 'node:crypto'
import { ConfigInvalid } from '../errors.js'
import { writePrivateFileSync } from '../lib/private-file.js'
import { IVR_HASH_KEY_MIN_BYTES } from './ivr-input-middleware.js'

/** Where the secret comes from. */
export interface IvrHashSecretSource {
  /** The secret itself, base64 (at least 32 bytes once decoded). Wins over the file. */
  readonly secret?: string | undefined
  /** A file holding the secret in base64. */
  readonly file: string
  /** Create the file with a random secret (mode 0600) when it does not exist. */
  readonly generate: boolean
}

/**
 * Reads (or creates) the deployment's IVR hash secret.
 * @internal
 */
export function loadIvrHashSecret(source: IvrHashSecretSource): Buffer {
  if (source.secret !== undefined) return decode(source.secret, 'masking.ivrHashSecret')
  let text: string | undefined
  try {
    text = readFileSync(source.file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw invalid('masking.ivrHashSecretFile', `cannot read '${source.file}'`, error)
    }
  }
  if (text !== undefined) return decode(text.trim(), 'masking.ivrHashSecretFile')
  if (!source.generate) {
    throw invalid(
      'masking.ivrHashSecretFile',
      `'${source.file}' does not exist; give masking.ivrHashSecret, create the file, or set masking.generateIvrHashSecret`,
    )
  }
  const secret = randomBytes(32)
  let written: 'written' | 'exists'
  try {
    // Exclusive: two processes starting at once must not overwrite each other's secret.
    written = writePrivateFileSync(source.file, `${secret.toString('base64')}\n`, {
      exclusive: true,
      createDirectory: true,
    })
  } catch (error) {
    throw invalid('masking.ivrHashSecretFile', `cannot write '${source.file}'`, error)
  }
  if (written === 'written') return secret
  return decode(readFileSync(source.file, 'utf8').trim(), 'masking.ivrHashSecretFile')
}

/**
 * A tenant's IVR hash key: HKDF-SHA256 of the secret, salt `callwarden/ivr-input`, info the
 * tenant id, 32 bytes.
 * @internal
 */
export function tenantIvrHashKey(secret: Uint8Array, tenantId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'callwarden/ivr-input', tenantId, 32))
}

function decode(text: string, path: string): Buffer {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0)
  if (bytes.length < IVR_HASH_KEY_MIN_BYTES) {
    throw invalid(
      path,
      `the IVR hash secret must be base64 of at least ${IVR_HASH_KEY_MIN_BYTES} random bytes`,
    )
  }
  return bytes
}

function invalid(path: string, message: string, cause?: unknown): ConfigInvalid {
  return new ConfigInvalid([{ path, message }], cause === undefined ? undefined : { cause })
}
