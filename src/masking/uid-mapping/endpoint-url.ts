/**
 * Where real numbers may be sent: HTTPS anywhere, plain HTTP only to this machine
 * (a sidecar or a test server), never with credentials in the URL.
 *
 * @module
 */

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

/**
 * Returns why `url` may not carry numbers or credentials, or `undefined` when it may.
 * @internal
 */
export function endpointUrlProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not an absolute URL'
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'must not carry credentials; give them in `auth`'
  }
  if (parsed.hash !== '') return 'must not have a fragment'
  if (parsed.protocol === 'https:') return undefined
  if (parsed.protocol === 'http:' && isLoopback(parsed.hostname)) return undefined
  return 'must be https:// (plain http:// is allowed only to localhost, 127.0.0.0/8 or [::1])'
}

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(?:\.\d{1,3}){3}$/.test(hostname)
}
