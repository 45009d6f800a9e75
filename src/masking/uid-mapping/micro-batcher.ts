/**
 * Micro-batching: keys asked for within `windowMs` of the first one are sent as one batch
 * (at most `maxBatchSize` keys; a full batch leaves at once). A key already waiting or in
 * flight joins that lookup instead of being asked for twice.
 *
 * @module
 */

/** What a batch execution says about each key: a value, or the error for that key. */
export type BatchOutcome<V> = Map<
  string,
  { readonly ok: true; readonly value: V } | { readonly ok: false; readonly error: Error }
>

/** Settings of {@link MicroBatcher}. */
export interface MicroBatcherOptions<V> {
  readonly windowMs: number
  readonly maxBatchSize: number
  /**
   * Runs one batch. It must settle every key: a key missing from the outcome fails with
   * `missing(key)`. A rejection fails every key of the batch with that error.
   */
  readonly execute: (keys: readonly string[]) => Promise<BatchOutcome<V>>
  readonly missing: (key: string) => Error
}

interface Waiter<V> {
  readonly promise: Promise<V>
  resolve(value: V): void
  reject(error: Error): void
}

/** @internal */
export class MicroBatcher<V> {
  readonly #options: MicroBatcherOptions<V>
  /** Keys of the batch being gathered, in arrival order. */
  #gathering = new Map<string, Waiter<V>>()
  #timer: NodeJS.Timeout | undefined
  /** Keys sent and not yet answered. */
  readonly #inFlight = new Map<string, Waiter<V>>()
  #batches = 0

  constructor(options: MicroBatcherOptions<V>) {
    this.#options = options
  }

  /** How many batches were executed. */
  get batches(): number {
    return this.#batches
  }

  load(key: string): Promise<V> {
    const existing = this.#gathering.get(key) ?? this.#inFlight.get(key)
    if (existing !== undefined) return existing.promise
    const waiter = deferred<V>()
    this.#gathering.set(key, waiter)
    if (this.#gathering.size >= this.#options.maxBatchSize) {
      this.#flush()
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flush(), this.#options.windowMs)
    }
    return waiter.promise
  }

  /** Fails every waiting and in-flight key with `error`. */
  failAll(error: Error): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    for (const waiter of [...this.#gathering.values(), ...this.#inFlight.values()]) waiter.reject(error)
    this.#gathering.clear()
    this.#inFlight.clear()
  }

  #flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#gathering
    if (batch.size === 0) return
    this.#gathering = new Map()
    for (const [key, waiter] of batch) this.#inFlight.set(key, waiter)
    this.#batches += 1
    const settle = (key: string, waiter: Waiter<V>, settleOne: (w: Waiter<V>) => void) => {
      // A key may have been failed by failAll() and asked for again meanwhile.
      if (this.#inFlight.get(key) === waiter) this.#inFlight.delete(key)
      settleOne(waiter)
    }
    this.#options.execute([...batch.keys()]).then(
      (outcome) => {
        for (const [key, waiter] of batch) {
          const result = outcome.get(key)
          if (result === undefined) settle(key, waiter, (w) => w.reject(this.#options.missing(key)))
          else if (result.ok) settle(key, waiter, (w) => w.resolve(result.value))
          else settle(key, waiter, (w) => w.reject(result.error))
        }
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error))
        for (const [key, waiter] of batch) settle(key, waiter, (w) => w.reject(failure))
      },
    )
  }
}

function deferred<V>(): Waiter<V> {
  let resolve!: (value: V) => void
  let reject!: (error: Error) => void
  const promise = new Promise<V>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Waiters are awaited by their callers; a key failed with nobody left waiting must not
  // surface as an unhandled rejection.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}
