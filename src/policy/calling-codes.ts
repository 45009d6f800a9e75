/**
 * Country calling codes and the regions that share them, from libphonenumber's metadata.
 *
 * @module
 * @internal
 */
import { getCountries, getCountryCallingCode } from 'libphonenumber-js/max'

let byCode: Map<string, string[]> | undefined

/**
 * Calling code (digits, no `+`) → the regions that use it (`'1'` → `['AG', ..., 'US']`).
 * @internal
 */
export function regionsOfCallingCode(): ReadonlyMap<string, readonly string[]> {
  if (byCode === undefined) {
    byCode = new Map()
    for (const region of getCountries()) {
      const code = String(getCountryCallingCode(region))
      const list = byCode.get(code) ?? []
      list.push(region)
      byCode.set(code, list)
    }
  }
  return byCode
}

/**
 * The calling code `digits` (an international number without `+`) starts with, if any.
 * @internal
 */
export function leadingCallingCode(digits: string): string | undefined {
  for (let length = 1; length <= 3 && length <= digits.length; length += 1) {
    const code = digits.slice(0, length)
    if (regionsOfCallingCode().has(code)) return code
  }
  return undefined
}
