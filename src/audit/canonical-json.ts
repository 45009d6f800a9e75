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

/** The members of an audit event that {@link canonicalEventParts} serialises ahead of time. */
export interface CanonicalEventBody {
  readonly v: number
  readonly tenantId: string
  readonly actor: { readonly id: string; readonly role: string; readonly sourceAddress?: string }
  readonly action: string
  readonly target: { readonly type: string; readonly id: string }
  readonly outcome: string
  readonly reason?: string
  readonly details?: unknown
}

/**
 * An event's canonical JSON around the three members the log fills in when it writes the
 * event (`id`, `seq`, `time`): `head` + id + `mid` + seq + `tail` + time + `end`.
 *
 * @internal
 */
export interface CanonicalEventParts {
  readonly head: string
  readonly mid: string
  readonly tail: string
  readonly end: string
}

/**
 * Serialises what an event says before it has a place in the chain, member by member in
 * RFC 8785 order (`action`, `actor`, `details`, `id`, `outcome`, `reason`, `seq`, `target`,
 * `tenantId`, `time`, `v`) instead of sorting keys at run time. `details` may be given
 * already serialised (`detailsJson`), as validation has done it once already.
 *
 * @internal
 */
export function canonicalEventParts(event: CanonicalEventBody, detailsJson?: string): CanonicalEventParts {
  const s = JSON.stringify
  const a = event.actor
  const details = detailsJson ?? (event.details === undefined ? undefined : canonicalJson(event.details))
  return {
    head:
      `{"action":${s(event.action)},"actor":{"id":${s(a.id)},"role":${s(a.role)}` +
      (a.sourceAddress === undefined ? '}' : `,"sourceAddress":${s(a.sourceAddress)}}`) +
      (details === undefined ? '' : `,"details":${details}`) +
      ',"id":',
    mid:
      `,"outcome":${s(event.outcome)}` +
      (event.reason === undefined ? '' : `,"reason":${s(event.reason)}`) +
      ',"seq":',
    tail: `,"target":{"id":${s(event.target.id)},"type":${s(event.target.type)}},"tenantId":${s(event.tenantId)},"time":`,
    end: `,"v":${s(event.v)}}`,
  }
}

/** The canonical JSON of an event from its {@link CanonicalEventParts}. @internal */
export function canonicalEventFrom(
  parts: CanonicalEventParts,
  id: string,
  seq: number,
  time: string,
): string {
  const s = JSON.stringify
  return parts.head + s(id) + parts.mid + s(seq) + parts.tail + s(time) + parts.end
}

/**
 * `canonicalJson(event)` for an audit event, by {@link canonicalEventParts} (the hot path
 * of every append). A unit test holds it byte-identical to {@link canonicalJson}.
 *
 * @internal
 */
export function canonicalEvent(
  event: CanonicalEventBody & { readonly seq: number; readonly id: string; readonly time: string },
): string {
  return canonicalEventFrom(canonicalEventParts(event), event.id, event.seq, event.time)
}
