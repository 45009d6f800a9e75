/**
 * Screen-pop URLs: the tenant's CRM page opened for an agent on a call, with the call's
 * parameters in the hash (`https://crm.example#?mobile=18888888888&type=phone`). They are
 * HTTPS only, and the `mobile` they carry follows the tenant's protection mode.
 *
 * @module
 */
import { domainToUnicode } from 'node:url'
import { CallwardenError } from '../errors.js'
import { digitsIn, digitsShareRun } from './digit-runs.js'

/** The channel types a screen pop names. */
export const SCREEN_POP_TYPES = ['phone', 'im', 'om', 'oim'] as const
/** One channel type. */
export type ScreenPopType = (typeof SCREEN_POP_TYPES)[number]

/** The parameters the platform passes in a screen pop's hash, in the order written. */
export const SCREEN_POP_PARAMS = [
  'mobile',
  'type',
  'status',
  'userId',
  'nickName',
  'avatar',
  'agentEmail',
  'agentMobile',
  'agentNickName',
  'agentRoleId',
  'sdkAppId',
] as const

/** The parameters of {@link buildScreenPopUrl}. */
export interface ScreenPopParams {
  /** The customer's number as the agent may see it (masked, a UID, or real). */
  readonly mobile?: string
  /** @defaultValue `'phone'` */
  readonly type?: ScreenPopType
  /** 100 ringing, 200 connected, 400 ended. */
  readonly status?: 100 | 200 | 400
  readonly userId?: string
  readonly nickName?: string
  readonly avatar?: string
  readonly agentEmail?: string
  readonly agentMobile?: string
  readonly agentNickName?: string
  readonly agentRoleId?: string
  readonly sdkAppId?: string
}

/** A screen-pop URL that may not be opened. */
export class ScreenPopInsecure extends CallwardenError {
  constructor(reason: string) {
    super('ERR_SCREENPOP_INSECURE_URL', `screen-pop URL refused: ${reason}`)
    this.name = 'ScreenPopInsecure'
  }
}

/**
 * Builds a screen-pop URL: the tenant's HTTPS page with the call's parameters in its hash.
 * A hash route already on the page (`#/customer`) is kept, with the parameters after it.
 *
 * @example
 * ```ts
 * buildScreenPopUrl('https://crm.example.com/', { mobile: '189****8352', status: 100 })
 * // 'https://crm.example.com/#?mobile=189****8352&type=phone&status=100'
 * ```
 */
export function buildScreenPopUrl(base: string, params: ScreenPopParams): string {
  const url = parseScreenPopUrl(base)
  const route = hashRoute(url)
  const search = new URLSearchParams()
  const values: Record<string, unknown> = { type: 'phone', ...params }
  if (!(SCREEN_POP_TYPES as readonly unknown[]).includes(values.type)) {
    throw new TypeError(`screen-pop type must be one of ${SCREEN_POP_TYPES.join(', ')}`)
  }
  for (const name of SCREEN_POP_PARAMS) {
    const value = values[name]
    if (value !== undefined) search.set(name, String(value))
  }
  url.hash = `${route}?${unescapeMask(search.toString())}`
  return url.toString()
}

/**
 * Parses a screen-pop URL, refusing anything but HTTPS without credentials.
 * @internal
 */
export function parseScreenPopUrl(text: string): URL {
  if (typeof text !== 'string') throw new TypeError('a screen-pop URL must be a string')
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ScreenPopInsecure('not an absolute URL; allowed: https://host/path')
  }
  if (url.protocol !== 'https:') {
    throw new ScreenPopInsecure(`scheme '${url.protocol.replace(/:$/, '')}' is not allowed; allowed: https`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new ScreenPopInsecure('credentials in the URL are not allowed')
  }
  return url
}

/**
 * A screen-pop URL taken apart once (and checked: HTTPS, no credentials), so that its
 * `mobile` can be rewritten by string joins rather than a URL parse per rewrite.
 * @internal
 */
export class ScreenPopTemplate {
  readonly #url: URL
  /** The hash route before the parameters (`/customer` in `#/customer?mobile=…`). */
  readonly #route: string
  /** The digits of everything but `mobile`, folded to ASCII. */
  readonly #digits: string
  /** The URL up to the `mobile` value, and after it; `undefined` when it has no `mobile`. */
  readonly #around: readonly [string, string] | undefined

  constructor(text: string) {
    this.#url = parseScreenPopUrl(text)
    const href = this.#url.href
    const hashAt = href.indexOf('#')
    const base = hashAt === -1 ? href : href.slice(0, hashAt)
    const hash = hashAt === -1 ? '' : href.slice(hashAt + 1)
    const queryAt = hash.indexOf('?')
    this.#route = queryAt === -1 ? hash : hash.slice(0, queryAt)
    const pairs = queryAt === -1 ? [] : hash.slice(queryAt + 1).split('&')
    const params: string[] = []
    let mobileAt = -1
    for (const pair of pairs) {
      if (pair === 'mobile' || pair.startsWith('mobile=')) {
        // Every `mobile` is rewritten; duplicates collapse into the first one's place.
        if (mobileAt === -1) mobileAt = params.length
      } else if (pair !== '') {
        params.push(pair)
      }
    }
    // Everything an agent receives besides `mobile` (scheme, host, port, path, query, hash
    // route, other parameters), as digits, computed once per URL: the whole URL with only the
    // `mobile` pairs taken out, so that no part of it is left unchecked.
    const query = params.length === 0 ? '' : `?${params.join('&')}`
    const rest = hashAt === -1 ? base : `${base}#${this.#route}${query}`
    // The host as the agent's browser shows it: an IDN label of Devanagari or Thai digits
    // arrives here as punycode (`xn--…`), with no digit of its own to see.
    this.#digits = digitsIn(`${decodeFully(rest)} ${domainToUnicode(this.#url.hostname)}`)
    if (mobileAt !== -1) {
      const before = params.slice(0, mobileAt).map((p) => `${p}&`)
      const after = params.slice(mobileAt).map((p) => `&${p}`)
      this.#around = [`${base}#${this.#route}?${before.join('')}mobile=`, after.join('')]
    }
  }

  /** The URL with `mobile` set to `mobile` (unchanged parameters when it has none). */
  withMobile(mobile: string): string {
    if (this.#around === undefined) return this.#url.href
    return `${this.#around[0]}${encodeURIComponent(mobile)}${this.#around[1]}`
  }

  /**
   * True when the URL outside `mobile` (the whole URL with only its `mobile` parameters
   * taken out: host, port, path, query, hash route, other hash parameters; percent-decoded, NFKC, every script's digits read as ASCII, whatever lies
   * between digits dropped) holds more than {@link SCREEN_POP_MAX_SHARED_DIGITS} consecutive
   * digits of `number` (ASCII digits, such as a national number). So the number is found
   * with or without a prefix, split by separators or across parameters, written in
   * full-width digits or any other readable digits (see `foldDigits`), as HTML numeric
   * entities (`&#49;`, `&#x31;`) or `\\u0031` / `%u0031` escapes, in an IDN host, reversed,
   * or with a digit dropped. Encodings (base64, hex) are not digits and are not found: the
   * URL is the tenant's own configuration.
   */
  carriesNumber(number: string): boolean {
    const run = SCREEN_POP_MAX_SHARED_DIGITS + 1
    const reversed = [...number].reverse().join('')
    return digitsShareRun(this.#digits, number, run) || digitsShareRun(this.#digits, reversed, run)
  }
}

/**
 * How many consecutive digits of the customer's number a screen-pop URL may hold outside
 * `mobile`. Fewer than a UID may not share would refuse URLs for ordinary ids and dates in
 * them; seven identify a subscriber's number even without its first or last digits.
 */
export const SCREEN_POP_MAX_SHARED_DIGITS = 6

/** How many times a value may be encoded over and over and still be read. */
const MAX_DECODE_PASSES = 16
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g
/** HTML numeric entities (`&#49;`, `&#x31;`, the `;` optional as browsers read them). */
const NUMERIC_ENTITY = /&#(?:[xX]([0-9A-Fa-f]{1,6})|([0-9]{1,7}));?/g
/** JavaScript and legacy `escape()` escapes: `\u0031`, `\u{31}`, `%u0031`, `\x31`. */
const CODE_ESCAPE = /[\\%][uU](?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{4}))|\\x([0-9A-Fa-f]{2})/g

/**
 * Decodes percent escapes, HTML numeric entities and code escapes until nothing changes (a
 * value encoded again and again, or one way inside another, is still read). Each run of
 * percent escapes is decoded on its own, bytes that are not UTF-8 becoming U+FFFD, so one
 * malformed escape cannot keep the rest of the URL from being read.
 */
function decodeFully(text: string): string {
  let current = text
  for (let i = 0; i < MAX_DECODE_PASSES; i += 1) {
    const next = current
      .replace(PERCENT_RUN, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'))
      .replace(NUMERIC_ENTITY, (entity, hex?: string, decimal?: string) =>
        codePoint(hex === undefined ? Number(decimal) : Number.parseInt(hex, 16), entity),
      )
      .replace(CODE_ESCAPE, (escape, braced?: string, four?: string, two?: string) =>
        codePoint(Number.parseInt(braced ?? four ?? two ?? '', 16), escape),
      )
    if (next === current) break
    current = next
  }
  return current
}

/** The character at `code`, or `original` when there is none. */
function codePoint(code: number, original: string): string {
  return code <= 0x10ffff ? String.fromCodePoint(code) : original
}

/** The hash route before the parameters: `#/customer?mobile=…` → `/customer`. */
function hashRoute(url: URL): string {
  const hash = url.hash.startsWith('#') ? url.hash.slice(1) : url.hash
  const at = hash.indexOf('?')
  return at === -1 ? hash : hash.slice(0, at)
}

/** Mask characters read better unescaped, and `*` is legal in a fragment. */
function unescapeMask(query: string): string {
  return query.replaceAll('%2A', '*')
}
