/**
 * Emergency numbers per region, as data. An outbound dialler must never place a call to one
 * of them: an automated call to 110 or 911 ties up an emergency line.
 *
 * The lists hold each region's own short codes (police, fire, ambulance, traffic, sea and
 * air rescue where they are national numbers). {@link GLOBAL_EMERGENCY_NUMBERS} (112 and 911)
 * reach the emergency services from any GSM mobile in most regions, so they are blocked
 * everywhere as well.
 *
 * @module
 */

/**
 * Short codes that reach emergency services from any mobile (GSM 112, and 911 which most
 * networks route too).
 */
export const GLOBAL_EMERGENCY_NUMBERS = ['112', '911'] as const

/**
 * Each region's emergency numbers (ISO 3166-1 alpha-2 → short codes dialled nationally).
 *
 * @example
 * ```ts
 * EMERGENCY_NUMBERS.CN // ['110', '119', '120', '122']
 * EMERGENCY_NUMBERS.FR.includes('15') // true (SAMU)
 * ```
 */
export const EMERGENCY_NUMBERS = {
  // Police, fire, ambulance, traffic accidents.
  CN: ['110', '119', '120', '122'],
  HK: ['999', '112'],
  MO: ['999', '110', '112'],
  TW: ['110', '119', '112'],
  JP: ['110', '118', '119'],
  KR: ['112', '119'],
  SG: ['995', '999'],
  IN: ['112', '100', '101', '102', '108'],
  AU: ['000', '112', '106'],
  NZ: ['111'],
  US: ['911', '112'],
  CA: ['911'],
  MX: ['911'],
  BR: ['190', '192', '193'],
  GB: ['999', '112'],
  IE: ['999', '112'],
  // SAMU, police, fire, EU number, child abuse, aviation and sea rescue, social emergency, deaf.
  FR: ['15', '17', '18', '112', '114', '115', '119', '191', '196', '197'],
  DE: ['110', '112'],
  IT: ['112', '113', '115', '118'],
  ES: ['112', '091', '092', '061', '080', '085'],
  RU: ['112', '101', '102', '103', '104'],
} as const satisfies Readonly<Record<string, readonly string[]>>

/** A region with its own emergency list. */
export type EmergencyRegion = keyof typeof EMERGENCY_NUMBERS

/**
 * True when `digits` (a short code, digits only) is an emergency number in `region` or one
 * of the {@link GLOBAL_EMERGENCY_NUMBERS}.
 *
 * @example
 * ```ts
 * isEmergencyNumber('110', 'CN') // true
 * isEmergencyNumber('15', 'FR') // true
 * isEmergencyNumber('15', 'CN') // false
 * isEmergencyNumber('112', 'CN') // true (GSM)
 * ```
 */
export function isEmergencyNumber(digits: string, region: string | undefined): boolean {
  if ((GLOBAL_EMERGENCY_NUMBERS as readonly string[]).includes(digits)) return true
  if (region === undefined || !Object.hasOwn(EMERGENCY_NUMBERS, region)) return false
  return (EMERGENCY_NUMBERS[region as EmergencyRegion] as readonly string[]).includes(digits)
}
