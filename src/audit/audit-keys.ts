/**
 * Signing and verification keys of the audit trail (jose). Checkpoints and bundle
 * manifests are compact JWS signed with one private JWK (EdDSA over Ed25519, or ES256 over
 * P-256) named by its `kid`; the public halves, with any earlier keys kept for rotation,
 * are published as a JWKS. A key is never logged or put in an error message.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import {
  CompactSign,
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'
import { CallwardenError } from '../errors.js'
import { writePrivateFile } from '../lib/private-file.js'

/** The JWS algorithms the audit trail signs with. */
export const AUDIT_SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const
/** One signing algorithm. */
export type AuditSigningAlgorithm = (typeof AUDIT_SIGNING_ALGORITHMS)[number]

type SigningKey = Parameters<CompactSign['sign']>[0]

/** A JSON Web Key Set of public verification keys. */
export interface AuditJwks {
  readonly keys: readonly JWK[]
}

/** Where the signing key comes from. */
export interface AuditKeySource {
  /** A private JWK (Ed25519 `OKP` or P-256 `EC`) with a `kid`. */
  readonly signingKey?: JWK
  /** A file holding such a JWK as JSON. */
  readonly signingKeyFile?: string
  /** Create `signingKeyFile` (mode 0600) with a new Ed25519 key when it does not exist. */
  readonly generate?: boolean
  /** Public JWKs of earlier signing keys, still published so old checkpoints verify. */
  readonly verificationKeys?: readonly JWK[]
}

function keyInvalid(message: string, cause?: unknown): CallwardenError {
  return new CallwardenError('ERR_AUDIT_KEY_INVALID', message, cause === undefined ? undefined : { cause })
}

function algorithmOf(jwk: JWK): AuditSigningAlgorithm | undefined {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA'
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256'
  return undefined
}

/** The public members of a JWK, with `alg` and `use` set. */
function publicJwk(jwk: JWK, alg: AuditSigningAlgorithm): JWK {
  const { kty, crv, x, y, kid } = jwk
  return { kty, crv, x, ...(y === undefined ? {} : { y }), kid, alg, use: 'sig' } as JWK
}

/**
 * The audit trail's signing key and the JWKS that verifies it.
 *
 * @example
 * ```ts
 * const keys = await AuditKeys.load({ signingKeyFile: '.callwarden/audit-signing-key.json', generate: true })
 * const jws = await keys.sign('cw-audit-checkpoint', payloadJson)
 * keys.jwks() // { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: '…', alg: 'EdDSA', use: 'sig' }] }
 * ```
 */
export class AuditKeys {
  readonly kid: string
  readonly alg: AuditSigningAlgorithm
  readonly #key: SigningKey
  readonly #jwks: AuditJwks

  private constructor(kid: string, alg: AuditSigningAlgorithm, key: SigningKey, jwks: AuditJwks) {
    this.kid = kid
    this.alg = alg
    this.#key = key
    this.#jwks = jwks
  }

  /** Loads (or, when allowed, creates) the signing key; throws `ERR_AUDIT_KEY_INVALID`. */
  static async load(source: AuditKeySource): Promise<AuditKeys> {
    let jwk = source.signingKey
    if (jwk === undefined) {
      const file = source.signingKeyFile
      if (file === undefined)
        throw keyInvalid('no audit signing key: set audit.signingKey or audit.signingKeyFile')
      jwk = readKeyFile(file) ?? (source.generate === true ? await generateKeyFile(file) : undefined)
      if (jwk === undefined) {
        throw keyInvalid(
          `audit signing key file '${file}' does not exist; create one or set audit.generateSigningKey to true`,
        )
      }
    }
    if (jwk === null || typeof jwk !== 'object')
      throw keyInvalid('the audit signing key must be a JWK object')
    const alg = algorithmOf(jwk)
    if (alg === undefined || typeof jwk.d !== 'string') {
      throw keyInvalid('the audit signing key must be a private Ed25519 (OKP) or P-256 (EC) JWK')
    }
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 191) {
      throw keyInvalid('the audit signing key needs a kid of 1-191 characters')
    }
    let key: SigningKey
    try {
      key = await importJWK(jwk, alg)
    } catch (cause) {
      throw keyInvalid(`the audit signing key '${jwk.kid}' cannot be imported`, cause)
    }
    const published: JWK[] = [publicJwk(jwk, alg)]
    for (const [i, old] of (source.verificationKeys ?? []).entries()) {
      const oldAlg = old === null || typeof old !== 'object' ? undefined : algorithmOf(old)
      if (oldAlg === undefined || typeof old.kid !== 'string' || old.kid.length === 0) {
        throw keyInvalid(`audit.verificationKeys.${i} must be a public Ed25519 or P-256 JWK with a kid`)
      }
      if (published.some((k) => k.kid === old.kid)) {
        throw keyInvalid(`audit.verificationKeys.${i}: kid '${old.kid}' is published twice`)
      }
      published.push(publicJwk(old, oldAlg))
    }
    return new AuditKeys(jwk.kid, alg, key, Object.freeze({ keys: published.map((k) => Object.freeze(k)) }))
  }

  /** The JWKS verifying everything this trail signed (current and earlier keys). */
  jwks(): AuditJwks {
    return this.#jwks
  }

  /** Signs `payload` (JSON text) as a compact JWS with header `{ alg, kid, typ }`. */
  async sign(typ: string, payload: string): Promise<string> {
    return new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ })
      .sign(this.#key)
  }
}

/** Why a JWS did not verify. */
export type JwsProblem = 'forged' | 'altered'

/**
 * Verifies a compact JWS of type `typ` against a JWKS. `forged`: it is not signed by any
 * key in the set (unknown `kid`, another algorithm or type); `altered`: it names a key of
 * the set but the signature does not match its content, or it is malformed. A JWS made with
 * another key under a trusted `kid` looks the same as an edited one and counts as `altered`.
 */
export async function verifyJws(
  jws: string,
  typ: string,
  jwks: AuditJwks,
): Promise<{ ok: true; payload: unknown; kid: string } | { ok: false; problem: JwsProblem; detail: string }> {
  if (typeof jws !== 'string' || jws.split('.').length !== 3) {
    return { ok: false, problem: 'altered', detail: 'not a compact JWS' }
  }
  let header: { alg?: unknown; kid?: unknown; typ?: unknown }
  try {
    header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'))
  } catch {
    return { ok: false, problem: 'altered', detail: 'the protected header is not JSON' }
  }
  const key = jwks.keys.find((k) => k.kid === header.kid)
  if (key === undefined || header.alg !== key.alg) {
    return {
      ok: false,
      problem: 'forged',
      detail: `signed with key '${String(header.kid)}', which the JWKS does not hold`,
    }
  }
  if (header.typ !== typ)
    return { ok: false, problem: 'forged', detail: `type '${String(header.typ)}', not '${typ}'` }
  try {
    const { payload } = await compactVerify(jws, createLocalJWKSet({ keys: [...jwks.keys] }), {
      algorithms: [...AUDIT_SIGNING_ALGORITHMS],
    })
    return { ok: true, payload: JSON.parse(new TextDecoder().decode(payload)), kid: String(header.kid) }
  } catch {
    return {
      ok: false,
      problem: 'altered',
      detail: `the signature does not match its content (key '${String(header.kid)}')`,
    }
  }
}

/** Checks that `value` is a JWKS of Ed25519/P-256 public keys; throws `ERR_AUDIT_KEY_INVALID`. */
export function parseJwks(value: unknown, where: string): AuditJwks {
  const keys = (value as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw keyInvalid(`${where} is not a JWKS ({ "keys": [...] })`)
  for (const [i, k] of keys.entries()) {
    if (
      k === null ||
      typeof k !== 'object' ||
      algorithmOf(k as JWK) === undefined ||
      typeof (k as JWK).kid !== 'string'
    ) {
      throw keyInvalid(`${where}: key ${i} is not an Ed25519 or P-256 public JWK with a kid`)
    }
    if (typeof (k as JWK).d === 'string')
      throw keyInvalid(`${where}: key ${i} is a private key; publish public keys only`)
  }
  return {
    keys: keys.map((k: JWK) => {
      const alg = algorithmOf(k)!
      return publicJwk(k, alg)
    }),
  }
}

function readKeyFile(file: string): JWK | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw keyInvalid(`audit signing key file '${file}' cannot be read`, error)
  }
  try {
    return JSON.parse(text) as JWK
  } catch (cause) {
    throw keyInvalid(`audit signing key file '${file}' is not JSON`, cause)
  }
}

async function generateKeyFile(file: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const jwk = await exportJWK(privateKey)
  jwk.kid = `cw-audit-${(await calculateJwkThumbprint(jwk)).slice(0, 16)}`
  jwk.alg = 'EdDSA'
  try {
    // Exclusive: two processes starting at once must not overwrite each other's key.
    const written = await writePrivateFile(file, `${JSON.stringify(jwk)}\n`, {
      exclusive: true,
      createDirectory: true,
    })
    return written === 'exists' ? readKeyFile(file)! : jwk
  } catch (error) {
    throw keyInvalid(`audit signing key file '${file}' cannot be written`, error)
  }
}
