/**
 * The HTTP transport of the UID-mapping client: one POST per batch, HTTP Basic or OAuth 2.0
 * client credentials, a timeout per attempt, no redirects (a redirect could carry numbers
 * and credentials to another host).
 *
 * @module
 */
import type { Clock } from '../../clock.js'
import { ResponseTooLarge, readBodyWithin } from './bounded-body.js'
import { OAuthClientCredentials, type OAuthClientAuthMethod } from './oauth-client-credentials.js'
import { UidUnresolved, type UidMappingRequest } from './uid-mapping-protocol.js'

/**
 * Sends one mapping request and returns the parsed JSON body. Failures throw
 * {@link UidUnresolved}; the client retries those whose reason is `timeout` or
 * `unavailable`. Tests and hosts with their own RPC swap this in.
 */
export interface UidMappingTransport {
  send(request: UidMappingRequest, signal: AbortSignal): Promise<unknown>
}

/** HTTP Basic credentials. */
export interface BasicAuth {
  readonly type: 'basic'
  readonly username: string
  readonly password: string
}

/** OAuth 2.0 client credentials. */
export interface OAuth2ClientCredentialsAuth {
  readonly type: 'oauth2'
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scope?: string | undefined
  /** @defaultValue `'client_secret_basic'` */
  readonly clientAuth?: OAuthClientAuthMethod | undefined
}

/** How the endpoint authenticates callwarden. */
export type UidEndpointAuth = BasicAuth | OAuth2ClientCredentialsAuth

/** Settings of {@link HttpUidMappingTransport}. */
export interface HttpUidMappingTransportOptions {
  readonly url: string
  readonly auth: UidEndpointAuth
  readonly timeoutMs: number
  readonly clock: Clock
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** The largest response body read, in bytes. @defaultValue 8 MiB */
  readonly maxResponseBytes?: number | undefined
}

/** @internal */
export class HttpUidMappingTransport implements UidMappingTransport {
  readonly #url: string
  readonly #timeoutMs: number
  readonly #fetch: typeof globalThis.fetch
  readonly #maxResponseBytes: number
  readonly #basic: string | undefined
  readonly #oauth: OAuthClientCredentials | undefined

  constructor(options: HttpUidMappingTransportOptions) {
    this.#url = options.url
    this.#timeoutMs = options.timeoutMs
    this.#fetch = options.fetch ?? globalThis.fetch
    this.#maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024
    const auth = options.auth
    if (auth.type === 'basic') {
      this.#basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
    } else {
      this.#oauth = new OAuthClientCredentials({
        tokenUrl: auth.tokenUrl,
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        scope: auth.scope,
        clientAuth: auth.clientAuth,
        fetch: this.#fetch,
        clock: options.clock,
        timeoutMs: options.timeoutMs,
      })
    }
  }

  /** Token requests sent so far (OAuth only). */
  get tokenFetches(): number {
    return this.#oauth?.fetches ?? 0
  }

  async send(request: UidMappingRequest, signal: AbortSignal): Promise<unknown> {
    const body = JSON.stringify(request)
    const count = request.Numbers.length
    let posted = await this.#post(request, body, signal)
    if (posted.http.status === 401 && this.#oauth !== undefined && posted.token !== undefined) {
      // The token may have been revoked or may have expired early: fetch a new one, once.
      await posted.http.body?.cancel()
      this.#oauth.invalidate(posted.token)
      posted = await this.#post(request, body, signal)
    }
    const { http, abort } = posted
    const status = http.status
    if (status < 200 || status > 299) {
      await http.body?.cancel()
      if (status === 401 || status === 403) {
        throw new UidUnresolved(
          request.Mode,
          'unauthorized',
          `the endpoint refused the credentials (${status})`,
          {
            count,
          },
        )
      }
      const reason = status >= 500 ? 'unavailable' : 'rejected'
      throw new UidUnresolved(request.Mode, reason, `the endpoint answered HTTP ${status}`, { count })
    }
    const text = await this.#readBody(request, http, abort)
    try {
      return JSON.parse(text) as unknown
    } catch {
      throw new UidUnresolved(request.Mode, 'invalid_response', 'the response body is not JSON', { count })
    }
  }

  async #post(
    request: UidMappingRequest,
    body: string,
    signal: AbortSignal,
  ): Promise<{ http: Response; token: string | undefined; abort: AbortController }> {
    // Its own controller, so that a body over the limit can end this request alone.
    const abort = new AbortController()
    const attempt = AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs), abort.signal])
    try {
      const token = this.#oauth === undefined ? undefined : await this.#oauth.token(request.Mode, attempt)
      const http = await this.#fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: token === undefined ? (this.#basic as string) : `Bearer ${token}`,
        },
        body,
        redirect: 'error',
        signal: attempt,
      })
      return { http, token, abort }
    } catch (error) {
      throw this.#networkError(request, error, signal)
    }
  }

  /**
   * Reads the body, at most `maxResponseBytes` of it: a hostile endpoint cannot make the
   * client buffer more than that (the request is aborted at the limit).
   */
  async #readBody(request: UidMappingRequest, response: Response, abort: AbortController): Promise<string> {
    try {
      return await readBodyWithin(response, this.#maxResponseBytes, abort)
    } catch (error) {
      if (error instanceof ResponseTooLarge) {
        throw new UidUnresolved(request.Mode, 'invalid_response', error.message, {
          count: request.Numbers.length,
        })
      }
      throw this.#networkError(request, error, undefined)
    }
  }

  #networkError(request: UidMappingRequest, error: unknown, closing: AbortSignal | undefined): UidUnresolved {
    const count = request.Numbers.length
    if (error instanceof UidUnresolved) return error
    if (closing?.aborted) return new UidUnresolved(request.Mode, 'closed', 'the client was closed', { count })
    const timedOut = error instanceof Error && error.name === 'TimeoutError'
    return timedOut
      ? new UidUnresolved(request.Mode, 'timeout', `no answer within ${this.#timeoutMs} ms`, {
          count,
          cause: error,
        })
      : new UidUnresolved(request.Mode, 'unavailable', 'the endpoint could not be reached', {
          count,
          cause: error,
        })
  }
}
