/**
 * Attempt caps: at most `max` attempts to one number in any rolling window of `windowHours`.
 * Several caps apply at once (the tenant's own, a state's rules); a call is allowed only
 * when every one allows it, so the lowest applicable cap wins.
 *
 * @module
 */

/** One cap. */
export interface AttemptCap {
  /** Names the cap in denials, e.g. `tenant:24h` or `US-FL:24h`. */
  readonly id: string
  /** Attempts allowed in the window (1 or more). */
  readonly max: number
  /** The rolling window, in hours (more than 0, at most {@link MAX_CAP_WINDOW_HOURS}). */
  readonly windowHours: number
  /** Where the cap comes from (a statute, a contract clause), shown in denials. */
  readonly citation?: string
}

/** The longest window a cap may have: 31 days. Attempts older than this are never needed. */
export const MAX_CAP_WINDOW_HOURS = 744

/** A tenant's own caps. `null` turns a cap off. */
export interface TenantAttemptCaps {
  /**
   * Attempts per number in any 24 hours.
   * @defaultValue 3
   */
  readonly perDay?: number | null
  /**
   * Attempts per number in any 7 days.
   * @defaultValue 7
   */
  readonly perWeek?: number | null
}

/** Attempt-cap settings: defaults for every tenant and per-tenant overrides. */
export interface AttemptCapSettings extends TenantAttemptCaps {
  /** Per tenant id; fields left out fall back to the defaults above. @defaultValue `{}` */
  readonly tenants?: Readonly<Record<string, TenantAttemptCaps>>
}

/**
 * The default caps: 3 attempts per number in any 24 hours (the strictest common statutory
 * cap, e.g. Florida's telephone solicitation rule) and 7 in any 7 days (the US debt
 * collection rule's presumption, Regulation F).
 */
export const DEFAULT_ATTEMPT_CAPS = Object.freeze({ perDay: 3, perWeek: 7 })

/**
 * The caps of a tenant from the settings.
 *
 * @example
 * ```ts
 * tenantAttemptCaps({ perDay: 5, tenants: { acme: { perWeek: null } } }, 'acme')
 * // [{ id: 'tenant:24h', max: 5, windowHours: 24 }]
 * ```
 */
export function tenantAttemptCaps(settings: AttemptCapSettings, tenantId: string): readonly AttemptCap[] {
  const own = settings.tenants?.[tenantId] ?? {}
  const pick = (key: 'perDay' | 'perWeek'): number | null => {
    if (own[key] !== undefined) return own[key]
    if (settings[key] !== undefined) return settings[key]
    return DEFAULT_ATTEMPT_CAPS[key]
  }
  const caps: AttemptCap[] = []
  const day = pick('perDay')
  const week = pick('perWeek')
  if (day !== null) caps.push({ id: 'tenant:24h', max: day, windowHours: 24 })
  if (week !== null) caps.push({ id: 'tenant:7d', max: week, windowHours: 168 })
  return caps
}

/**
 * Throws a `TypeError` for a malformed cap (caps come from code and validated configuration,
 * so a bad one is a programming error).
 *
 * @internal
 */
export function assertCaps(caps: readonly AttemptCap[]): void {
  if (!Array.isArray(caps)) throw new TypeError('caps must be an array of { id, max, windowHours }')
  for (const cap of caps) {
    if (cap === null || typeof cap !== 'object' || typeof cap.id !== 'string' || cap.id.length === 0) {
      throw new TypeError('every cap needs a non-empty string id')
    }
    if (!Number.isInteger(cap.max) || cap.max < 1) {
      throw new TypeError(`cap '${cap.id}': max must be a whole number of at least 1, got ${cap.max}`)
    }
    if (
      typeof cap.windowHours !== 'number' ||
      !(cap.windowHours > 0) ||
      cap.windowHours > MAX_CAP_WINDOW_HOURS ||
      !Number.isInteger(cap.windowHours * 3_600_000)
    ) {
      throw new TypeError(
        `cap '${cap.id}': windowHours must be more than 0 and at most ${MAX_CAP_WINDOW_HOURS} (whole milliseconds), got ${cap.windowHours}`,
      )
    }
  }
}

/** How full one cap's window is. */
export interface CapCount {
  readonly cap: string
  readonly count: number
  readonly max: number
  readonly windowHours: number
}

/** The cap that refuses an attempt, and when the next one will be allowed. */
export interface CapExceeded {
  readonly cap: AttemptCap
  /** Attempts in the cap's window (at least `cap.max`). */
  readonly count: number
  /** The first instant at which every cap allows an attempt again. */
  readonly nextAllowedAt: Date
}

/**
 * Judges an attempt at `at` against earlier attempt times. An attempt counts in a cap's
 * window while `at - window < time` (attempts stamped after `at`, e.g. by a clock a little
 * ahead, count too). `times` must be sorted newest first and hold at least the newest
 * `max(cap.max)` attempts of the longest window.
 *
 * When several caps are full, the one that frees up last decides (its `nextAllowedAt` is when
 * all of them allow again); ties go to the lower `max`.
 *
 * @internal
 */
export function judgeAttempt(
  times: readonly number[],
  caps: readonly AttemptCap[],
  at: number,
): { readonly counts: readonly CapCount[]; readonly exceeded?: CapExceeded } {
  const counts: CapCount[] = []
  let exceeded: CapExceeded | undefined
  for (const cap of caps) {
    const windowMs = cap.windowHours * 3_600_000
    let count = 0
    while (count < times.length && times[count]! > at - windowMs) count += 1
    counts.push({ cap: cap.id, count, max: cap.max, windowHours: cap.windowHours })
    if (count < cap.max) continue
    // Allowed again once the max-th newest attempt leaves the window.
    const next = times[cap.max - 1]! + windowMs
    if (
      exceeded === undefined ||
      next > exceeded.nextAllowedAt.getTime() ||
      (next === exceeded.nextAllowedAt.getTime() && cap.max < exceeded.cap.max)
    ) {
      exceeded = { cap, count, nextAllowedAt: new Date(next) }
    }
  }
  return exceeded === undefined ? { counts } : { counts, exceeded }
}
