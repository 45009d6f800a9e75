/**
 * What a pipeline run returns: a verdict and the reasons for it.
 *
 * @module
 */
import type { CallwardenErrorCode } from '../errors.js'

/** The verdicts a pipeline can reach. */
export const VERDICTS = ['allow', 'deny'] as const
/** One verdict. */
export type Verdict = (typeof VERDICTS)[number]

/**
 * One reason behind a decision. Denials carry a catalogued `ERR_*` code; notes that explain
 * an allow carry a module-defined code (e.g. `CONSENT_FOUND`).
 */
export interface DecisionReason {
  readonly code: CallwardenErrorCode | (string & {})
  readonly message: string
  /** The middleware that gave the reason. */
  readonly middleware: string
  /** Structured context, free of personal data. */
  readonly details?: Readonly<Record<string, unknown>>
}

/**
 * The result of running an event through a pipeline.
 *
 * @example
 * ```ts
 * const decision = await outbound.run(event)
 * if (decision.verdict === 'deny') refuseDial(decision.reasons[0].code)
 * ```
 */
export interface Decision<E> {
  readonly verdict: Verdict
  readonly reasons: readonly DecisionReason[]
  /** The event as the middleware left it (agent views are rewritten in place). */
  readonly event: E
  /** The names of the middleware that ran, in order. */
  readonly trace: readonly string[]
  /** When the run started, by the pipeline's clock. */
  readonly decidedAt: Date
  /**
   * For a denial that passes with time (calling hours, attempt caps, rate limits): the
   * earliest instant the same call would be allowed by the rule that denied it. Taken from
   * the denying reason's `details.nextAllowedAt`.
   */
  readonly nextAllowedAt?: Date
  /** Set when the verdict came from the fail mode after an infrastructure error. */
  readonly failure?: { readonly middleware: string; readonly error: unknown }
}
