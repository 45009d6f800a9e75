/**
 * The rule pack callwarden ships. Every rule carries its citation and says how far it was
 * checked; where a section's text could not be read, the citation says so. Statutes on
 * calling hours cover telephone *solicitations*, so statutory rules apply to `marketing`
 * calls. For `service` and `consultation` calls callwarden applies a default rest-time
 * window (the requirement that nobody is called in their rest time) as a `default` rule a
 * tenant may replace. A `callback` the customer asked for is exempt from the hours by
 * default: the customer chose the moment.
 *
 * @module
 */
import type { RulePackInput } from './rule-pack.js'

const EVERY_DAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const

/** US federal holidays (5 U.S.C. § 6103) with the federal Saturday/Sunday observance. */
const US_FEDERAL_HOLIDAYS = [
  { name: "New Year's Day", month: 1, day: 1, observed: 'us-federal' },
  { name: 'Martin Luther King Jr. Day', month: 1, weekday: 'mon', nth: 3 },
  { name: "Washington's Birthday", month: 2, weekday: 'mon', nth: 3 },
  { name: 'Memorial Day', month: 5, weekday: 'mon', nth: -1 },
  { name: 'Juneteenth', month: 6, day: 19, observed: 'us-federal' },
  { name: 'Independence Day', month: 7, day: 4, observed: 'us-federal' },
  { name: 'Labor Day', month: 9, weekday: 'mon', nth: 1 },
  { name: 'Columbus Day', month: 10, weekday: 'mon', nth: 2 },
  { name: 'Veterans Day', month: 11, day: 11, observed: 'us-federal' },
  { name: 'Thanksgiving Day', month: 11, weekday: 'thu', nth: 4 },
  { name: 'Christmas Day', month: 12, day: 25, observed: 'us-federal' },
] as const

/** The State Council's 2026 holiday arrangement (放假调休), and the fixed statutory days of every year. */
const CN_HOLIDAYS = [
  { name: "New Year's Day (元旦)", from: '2026-01-01', to: '2026-01-03' },
  { name: 'Spring Festival (春节)', from: '2026-02-15', to: '2026-02-23' },
  { name: 'Qingming Festival (清明节)', from: '2026-04-04', to: '2026-04-06' },
  { name: 'Labour Day (劳动节)', from: '2026-05-01', to: '2026-05-05' },
  { name: 'Dragon Boat Festival (端午节)', from: '2026-06-19', to: '2026-06-21' },
  { name: 'Mid-Autumn Festival (中秋节)', from: '2026-09-25', to: '2026-09-27' },
  { name: 'National Day (国庆节)', from: '2026-10-01', to: '2026-10-07' },
  // Fixed-date statutory holidays, every year (the lunar ones need each year's notice).
  { name: "New Year's Day (元旦)", month: 1, day: 1 },
  { name: 'Labour Day (劳动节)', month: 5, day: 1 },
  { name: 'Labour Day (劳动节)', month: 5, day: 2 },
  { name: 'National Day (国庆节)', month: 10, day: 1 },
  { name: 'National Day (国庆节)', month: 10, day: 2 },
  { name: 'National Day (国庆节)', month: 10, day: 3 },
] as const

/** Make-up working days of 2026 (调休上班): they count as ordinary weekdays. */
const CN_WORKDAYS = [
  { name: "New Year's Day make-up workday", date: '2026-01-04', worksAs: 'mon' },
  { name: 'Spring Festival make-up workday', date: '2026-02-14', worksAs: 'mon' },
  { name: 'Spring Festival make-up workday', date: '2026-02-28', worksAs: 'mon' },
  { name: 'Labour Day make-up workday', date: '2026-05-09', worksAs: 'mon' },
  { name: 'National Day make-up workday', date: '2026-09-20', worksAs: 'mon' },
  { name: 'National Day make-up workday', date: '2026-10-10', worksAs: 'mon' },
] as const

const TELEMARKETING_8_TO_8 = [{ days: [...EVERY_DAY], from: '08:00', until: '20:00' }]

/**
 * The default pack: US federal 08:00–21:00, stricter state rules (FL, OK, MD, WA 08:00–20:00;
 * RI weekday/Saturday hours with no Sunday or holiday calls), the FL/OK/MD three-calls-per-24-h
 * caps, China's tenant-configurable 09:00–20:00 with no calls on public holidays.
 */
export const DEFAULT_RULE_PACK = {
  id: 'callwarden-default',
  version: '2026.11.0',
  effectiveFrom: '2020-01-01T00:00:00Z',
  description:
    'Calling hours in the callee’s local time: US federal and state rules, China default window and holidays.',
  rules: [
    {
      id: 'us-federal-hours',
      citation:
        "47 CFR § 64.1200(c)(1): no telephone solicitation to a residential subscriber before 8 a.m. or after 9 p.m. local time at the called party's location (verified).",
      scope: { country: 'US' },
      purposes: ['marketing'],
      windows: [{ days: [...EVERY_DAY], from: '08:00', until: '21:00' }],
    },
    {
      id: 'us-rest-hours',
      kind: 'default',
      citation:
        'callwarden default: the federal 8 a.m.–9 p.m. window (47 CFR § 64.1200(c)(1)) applied to service and consultation calls so that nobody is called in their rest time; not required by statute for these purposes; tenants may replace it.',
      scope: { country: 'US' },
      purposes: ['service', 'consultation'],
      windows: [{ days: [...EVERY_DAY], from: '08:00', until: '21:00' }],
    },
    {
      id: 'us-fl-telemarketing',
      citation:
        'Fla. Stat. § 501.616(6)(a) (no commercial telephone solicitation before 8 a.m. or after 8 p.m. in the called person’s time zone) and § 501.616(6)(b) (no more than three calls to a person in 24 hours on the same subject), as amended by Laws of Fla. ch. 2021-185 (SB 1120), in force 2021-07-01 (verified).',
      scope: { country: 'US', subdivision: 'US-FL' },
      purposes: ['marketing'],
      windows: TELEMARKETING_8_TO_8,
      attemptCaps: [{ max: 3, windowHours: 24, sameSubject: true }],
      effectiveFrom: '2021-07-01',
    },
    {
      id: 'us-ok-telemarketing',
      citation:
        '15 O.S. § 775C.4 (Oklahoma Telephone Solicitation Act of 2022, HB 3168, in force 2022-11-01): calls between 8 a.m. and 8 p.m. and at most three calls per 24 hours on the same subject. The hours and the cap were confirmed from secondary sources; the section text itself was not verified.',
      scope: { country: 'US', subdivision: 'US-OK' },
      purposes: ['marketing'],
      windows: TELEMARKETING_8_TO_8,
      attemptCaps: [{ max: 3, windowHours: 24, sameSubject: true }],
      effectiveFrom: '2022-11-01',
    },
    {
      id: 'us-md-telemarketing',
      citation:
        'Md. Code, Com. Law § 14-4503 (Stop the Spam Calls Act of 2023, SB 90, in force 2024-01-01): telephone solicitations only between 8 a.m. and 8 p.m. in the called party’s time zone, at most three per 24 hours on the same subject. The provisions were confirmed from secondary sources; the section number and text were not verified.',
      scope: { country: 'US', subdivision: 'US-MD' },
      purposes: ['marketing'],
      windows: TELEMARKETING_8_TO_8,
      attemptCaps: [{ max: 3, windowHours: 24, sameSubject: true }],
      effectiveFrom: '2024-01-01',
    },
    {
      id: 'us-wa-telemarketing',
      citation:
        "RCW 19.158.040(2): a commercial telephone solicitor shall not place calls received before 8:00 a.m. or after 8:00 p.m. at the call recipient's local time (verified). RCW 80.36.390 (telephone solicitation) also applies; its hours clause was not verified.",
      scope: { country: 'US', subdivision: 'US-WA' },
      purposes: ['marketing'],
      windows: TELEMARKETING_8_TO_8,
    },
    {
      id: 'us-ri-telemarketing',
      citation:
        'R.I. Gen. Laws § 5-61-3.6 with § 5-61-2 "hours of operation": Monday–Friday, except a state or federal holiday, 9:00 a.m.–6:00 p.m.; Saturday 10:00 a.m.–5:00 p.m.; no Sunday calls (verified). Holidays listed: federal holidays (5 U.S.C. § 6103) and Rhode Island Victory Day (second Monday of August); the state holiday list (R.I. Gen. Laws § 25-1-1) was not verified. A holiday falling on a Saturday is read strictly: no calls.',
      scope: { country: 'US', subdivision: 'US-RI' },
      purposes: ['marketing'],
      windows: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', until: '18:00' },
        { days: ['sat'], from: '10:00', until: '17:00' },
      ],
      holidays: [...US_FEDERAL_HOLIDAYS, { name: 'Victory Day', month: 8, weekday: 'mon', nth: 2 }],
    },
    {
      id: 'cn-default-hours',
      kind: 'default',
      citation:
        'No statute fixes calling hours in China: 09:00–20:00 is callwarden’s tenant-configurable default for the callee’s rest time. Holidays: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04; verified) and the fixed-date holidays of 《全国年节及纪念日放假办法》 art. 2 every year. The 2027 notice was not yet available: 2027’s lunar-calendar holidays are missing until the pack is updated.',
      scope: { country: 'CN' },
      purposes: ['marketing', 'service', 'consultation'],
      windows: [{ days: [...EVERY_DAY], from: '09:00', until: '20:00' }],
      holidays: [...CN_HOLIDAYS],
      workdays: [...CN_WORKDAYS],
      calendarYears: [2026],
    },
  ],
} as const satisfies RulePackInput
