/**
 * Screen-pop URLs: the tenant's CRM page opened for an agent on a call, with the call's
 * parameters in the hash (`https://crm.example#?mobile=18888888888&type=phone`). They are
 * HTTPS only, and the `mobile` they carry follows the tenant's protection mode.
 *
 * @module
 */
import { CallwardenError } from '../errors.js'

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
 * Returns `url` with its hash's `mobile` parameter set to `mobile` (added when absent only if
 * `addWhenAbsent`). Other parameters and the hash route are kept as they were.
 * @internal
 */
export function withScreenPopMobile(url: URL, mobile: string, addWhenAbsent = false): string {
  const route = hashRoute(url)
  const query = url.hash.includes('?') ? url.hash.slice(url.hash.indexOf('?') + 1) : ''
  const search = new URLSearchParams(query)
  if (!search.has('mobile') && !addWhenAbsent) return url.toString()
  search.set('mobile', mobile)
  const copy = new URL(url)
  copy.hash = `${route}?${unescapeMask(search.toString())}`
  return copy.toString()
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
