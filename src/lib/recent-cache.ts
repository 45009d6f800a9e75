/**
 * A bounded memo for hot paths: two generations of plain `Map`s. Reads look in the young
 * generation, then the old one (promoting what they find); when the young generation is full
 * it becomes the old one and the previous old one is dropped. Recently used entries survive,
 * memory stays under `2 × generationSize` entries, and every operation is a `Map` call or
 * two — several times cheaper than a strict LRU (measured on the agent-view path), at the
 * price of evicting in bulk rather than one entry at a time.
 *
 * @internal
 */
export class RecentCache<K, V> {
  readonly #generationSize: number
  #young = new Map<K, V>()
  #old = new Map<K, V>()

  constructor(generationSize: number) {
    if (!Number.isInteger(generationSize) || generationSize < 1) {
      throw new TypeError('generationSize must be a positive integer')
    }
    this.#generationSize = generationSize
  }

  get(key: K): V | undefined {
    const young = this.#young.get(key)
    if (young !== undefined) return young
    const old = this.#old.get(key)
    if (old !== undefined) this.set(key, old)
    return old
  }

  set(key: K, value: V): void {
    if (this.#young.size >= this.#generationSize) {
      this.#old = this.#young
      this.#young = new Map()
    }
    this.#young.set(key, value)
  }

  /** Forgets `key`. */
  delete(key: K): void {
    this.#young.delete(key)
    this.#old.delete(key)
  }

  clear(): void {
    this.#young.clear()
    this.#old.clear()
  }
}
