/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for the values audit events
 * carry. RFC 8785 defines its serialisation in terms of ECMAScript's own: strings and
 * numbers exactly as `JSON.stringify` writes them, object members sorted by the UTF-16
 * code units of their names, no whitespace. In JavaScript that is a short recursive
 * function, so callwarden keeps its own instead of a dependency, and makes it strict where a
 * library would be lenient: values JSON cannot represent (`undefined` in arrays, `NaN`,
 * `Infinity`, bigints, functions, symbols, dates, maps, class instances) are refused rather
 * than dropped or coerced, so the bytes that are hashed always parse back to the same value.
 *
 * @module
 */

/** A value canonical JSON can represent. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/**
 * The RFC 8785 serialisation of `value`. Object members whose value is `undefined` are
 * left out (as if absent); anything else JSON cannot represent throws a `TypeError` naming
 * its path.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null, 'x'], c: 1e21 }) // '{"a":[true,null,"x"],"b":1,"c":1e+21}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', 0)
}

const MAX_DEPTH = 32

function write(value: unknown, path: string, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}; JSON numbers must be finite`)
      return JSON.stringify(value)
    case 'object': {
      if (value === null) return 'null'
      if (depth >= MAX_DEPTH) throw new TypeError(`${path} nests deeper than ${MAX_DEPTH} levels`)
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ','
          const item: unknown = value[i]
          if (item === undefined)
            throw new TypeError(`${path}[${i}] is undefined; JSON arrays cannot hold it`)
          out += write(item, `${path}[${i}]`, depth + 1)
        }
        return `${out}]`
      }
      const proto: unknown = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `${path} is a ${describe(value)}; only plain objects, arrays and primitives are JSON`,
        )
      }
      // Default sort compares UTF-16 code units, which is the order RFC 8785 prescribes.
      const keys = Object.keys(value).sort()
      let out = '{'
      let first = true
      for (const key of keys) {
        const member: unknown = (value as Record<string, unknown>)[key]
        if (member === undefined) continue
        if (!first) out += ','
        first = false
        out += `${JSON.stringify(key)}:${write(member, `${path}.${key}`, depth + 1)}`
      }
      return `${out}}`
    }
    default:
      throw new TypeError(`${path} is ${describe(value)}; JSON cannot represent it`)
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value
  return (value as object).constructor?.name ?? 'object'
}

/**
 * `canonicalJson(event)` for an audit event, written out member by member in RFC 8785
 * order instead of sorting keys at run time (the hot path of every append). A unit test
 * holds it byte-identical to {@link canonicalJson}.
 *
 * @internal
 */
export function canonicalEvent(event: {
  readonly v: number
  readonly tenantId: string
  readonly seq: number
  readonly id: string
  readonly time: string
  readonly actor: { readonly id: string; readonly role: string; readonly sourceAddress?: string }
  readonly action: string
  readonly target: { readonly type: string; readonly id: string }
  readonly outcome: string
  readonly reason?: string
  readonly details?: unknown
}): string {
  const s = JSON.stringify
  const a = event.actor
  return (
    `{"action":${s(event.action)},"actor":{"id":${s(a.id)},"role":${s(a.role)}` +
    (a.sourceAddress === undefined ? '}' : `,"sourceAddress":${s(a.sourceAddress)}}`) +
    (event.details === undefined ? '' : `,"details":${canonicalJson(event.details)}`) +
    `,"id":${s(event.id)},"outcome":${s(event.outcome)}` +
    (event.reason === undefined ? '' : `,"reason":${s(event.reason)}`) +
    `,"seq":${s(event.seq)},"target":{"id":${s(event.target.id)},"type":${s(event.target.type)}}` +
    `,"tenantId":${s(event.tenantId)},"time":${s(event.time)},"v":${s(event.v)}}`
  )
}
