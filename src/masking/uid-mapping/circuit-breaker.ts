/**
 * A circuit breaker on the injected clock: after `failureThreshold` consecutive failures it
 * opens and refuses requests for `openMs`; then one probe is let through (half-open), and
 * its outcome closes or re-opens the circuit. Written here rather than taken from a library
 * because it must run on callwarden's `Clock` (tests move time) and classify outcomes the
 * way the mapping client does: only an unavailable endpoint counts as a failure.
 *
 * @module
 */
import type { Clock } from '../../clock.js'

/** The breaker's states. */
export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const
/** One state. */
export type CircuitState = (typeof CIRCUIT_STATES)[number]

/** Settings of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  readonly failureThreshold: number
  readonly openMs: number
  readonly clock: Clock
}

/** @internal */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions
  #failures = 0
  #openedAt: number | undefined
  #probing = false

  constructor(options: CircuitBreakerOptions) {
    this.#options = options
  }

  get state(): CircuitState {
    if (this.#openedAt === undefined) return 'closed'
    return this.#options.clock.now().getTime() - this.#openedAt >= this.#options.openMs ? 'half-open' : 'open'
  }

  /**
   * Asks to send a request. True when closed, or for the single probe of a half-open
   * circuit; the caller must then report the outcome with {@link success} or {@link failure}.
   */
  tryPass(): boolean {
    const state = this.state
    if (state === 'closed') return true
    if (state === 'open' || this.#probing) return false
    this.#probing = true
    return true
  }

  success(): void {
    this.#failures = 0
    this.#openedAt = undefined
    this.#probing = false
  }

  failure(): void {
    this.#failures += 1
    if (this.#probing || this.#failures >= this.#options.failureThreshold) {
      this.#openedAt = this.#options.clock.now().getTime()
    }
    this.#probing = false
  }

  /** Reports a request whose outcome says nothing about the endpoint's health. */
  neutral(): void {
    this.#probing = false
  }
}
