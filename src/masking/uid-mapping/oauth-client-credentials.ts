/**
 * OAuth 2.0 client-credentials tokens (RFC 6749 §4.4) for the UID-mapping endpoint: one
 * token is fetched, shared by every request and cached until shortly before it expires;
 * concurrent callers wait for the same fetch.
 *
 * @module
 */
import type { Clock } from '../../clock.js'
import { ResponseTooLarge, readBodyWithin } from './bounded-body.js'
import { UidUnresolved, type UidMappingMode } from './uid-mapping-protocol.js'

/** How the client authenticates to the token endpoint. */
export const OAUTH_CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const
/** One client authentication method. */
export type OAuthClientAuthMethod = (typeof OAUTH_CLIENT_AUTH_METHODS)[number]

/** Settings of {@link OAuthClientCredentials}. */
export interface OAuthClientCredentialsOptions {
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  /** Space-separated scopes to ask for. */
  readonly scope?: string | undefined
  /** @defaultValue `'client_secret_basic'` */
  readonly clientAuth?: OAuthClientAuthMethod | undefined
  readonly fetch: typeof globalThis.fetch
  readonly clock: Clock
  readonly timeoutMs: number
  /**
   * Refresh this long before the token's expiry, so no request leaves with a token about to
   * lapse in flight.
   * @defaultValue 30 000 (or a tenth of the token's lifetime when that is shorter)
   */
  readonly refreshBeforeExpiryMs?: number | undefined
  /**
   * Lifetime assumed when the token response has no `expires_in`.
   * @defaultValue 300 000
   */
  readonly defaultLifetimeMs?: number | undefined
}

interface CachedToken {
  readonly value: string
  readonly refreshAt: number
}

/** The largest token response read, in bytes: a token response is a few hundred bytes. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024

/** @internal */
export class OAuthClientCredentials {
  readonly #options: OAuthClientCredentialsOptions
  #cached: CachedToken | undefined
  #pending: Promise<string> | undefined
  #fetches = 0

  constructor(options: OAuthClientCredentialsOptions) {
    this.#options = options
  }

  /** How many token requests were sent. */
  get fetches(): number {
    return this.#fetches
  }

  /** A valid access token, from the cache when it is fresh. */
  async token(mode: UidMappingMode, signal: AbortSignal): Promise<string> {
    const cached = this.#cached
    if (cached !== undefined && this.#options.clock.now().getTime() < cached.refreshAt) return cached.value
    this.#pending ??= this.#fetch(mode, signal).finally(() => {
      this.#pending = undefined
    })
    return this.#pending
  }

  /**
   * Forgets `token` after the endpoint refused it (a 401), unless a newer one has already
   * replaced it.
   */
  invalidate(token: string): void {
    if (this.#cached?.value === token) this.#cached = undefined
  }

  async #fetch(mode: UidMappingMode, signal: AbortSignal): Promise<string> {
    const o = this.#options
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (o.scope !== undefined) form.set('scope', o.scope)
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    }
    if ((o.clientAuth ?? 'client_secret_basic') === 'client_secret_basic') {
      // RFC 6749 §2.3.1: form-encode the id and secret before joining them.
      const user = encodeURIComponent(o.clientId)
      const secret = encodeURIComponent(o.clientSecret)
      headers.authorization = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`
    } else {
      form.set('client_id', o.clientId)
      form.set('client_secret', o.clientSecret)
    }
    const started = o.clock.now().getTime()
    this.#fetches += 1
    let response: Response
    const abort = new AbortController()
    try {
      response = await o.fetch(o.tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        redirect: 'error',
        signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs), abort.signal]),
      })
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError'
      throw new UidUnresolved(
        mode,
        timedOut ? 'timeout' : 'unavailable',
        'the OAuth token endpoint could not be reached',
        {
          cause: error,
        },
      )
    }
    if (response.status >= 500 || !response.ok) {
      await response.body?.cancel().catch(() => undefined)
      if (response.status >= 500) {
        throw new UidUnresolved(mode, 'unavailable', `the OAuth token endpoint answered ${response.status}`)
      }
      throw new UidUnresolved(
        mode,
        'unauthorized',
        `the OAuth token endpoint refused the client credentials (${response.status})`,
      )
    }
    let text: string
    try {
      text = await readBodyWithin(response, MAX_TOKEN_RESPONSE_BYTES, abort)
    } catch (error) {
      if (error instanceof ResponseTooLarge) {
        throw new UidUnresolved(mode, 'invalid_response', `the OAuth token response: ${error.message}`)
      }
      const timedOut = error instanceof Error && error.name === 'TimeoutError'
      throw new UidUnresolved(
        mode,
        timedOut ? 'timeout' : 'unavailable',
        'the OAuth token response could not be read',
        { cause: error },
      )
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new UidUnresolved(mode, 'invalid_response', 'the OAuth token response is not JSON')
    }
    const {
      access_token: value,
      token_type: type,
      expires_in: expiresIn,
    } = (body ?? {}) as Record<string, unknown>
    if (typeof value !== 'string' || value.length === 0) {
      throw new UidUnresolved(mode, 'invalid_response', 'the OAuth token response has no access_token')
    }
    if (typeof type !== 'string' || type.toLowerCase() !== 'bearer') {
      throw new UidUnresolved(mode, 'invalid_response', 'the OAuth token is not a Bearer token')
    }
    const lifetimeMs =
      typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
        ? expiresIn * 1000
        : (o.defaultLifetimeMs ?? 300_000)
    const margin = Math.min(o.refreshBeforeExpiryMs ?? 30_000, lifetimeMs / 10)
    this.#cached = { value, refreshAt: started + lifetimeMs - margin }
    return value
  }
}
