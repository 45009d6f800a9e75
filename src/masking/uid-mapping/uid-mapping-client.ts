/**
 * The PhoneToUID / UIDToPhone client for a tenant's own mapping endpoint: micro-batched,
 * cached in memory only, retried, guarded by a circuit breaker, strict about what it
 * accepts, and failing closed.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { LRUCache } from 'lru-cache'
import { z } from 'zod'
import { systemClock, type Clock } from '../../clock.js'
import { ConfigInvalid } from '../../errors.js'
import { formatParsedPlatformNumber, parseNumber, type ParsedNumber } from '../phone-number.js'
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js'
import { endpointUrlProblem } from './endpoint-url.js'
import {
  HttpUidMappingTransport,
  type UidEndpointAuth,
  type UidMappingTransport,
} from './http-uid-mapping-transport.js'
import { MicroBatcher, type BatchOutcome } from './micro-batcher.js'
import { OAUTH_CLIENT_AUTH_METHODS } from './oauth-client-credentials.js'
import {
  UidUnresolved,
  readUidMappingResponse,
  uidProblem,
  uidValueProblem,
  type UidMappingMode,
  type UidUnresolvedReason,
} from './uid-mapping-protocol.js'

/** How numbers are written in `Numbers` and expected back as `Key`. */
export const UID_WIRE_NUMBER_FORMATS = ['national', 'platform'] as const
/** One wire number format. */
export type UidWireNumberFormat = (typeof UID_WIRE_NUMBER_FORMATS)[number]

/** Options of {@link createUidMappingClient}. */
export interface UidMappingClientOptions {
  /** The tenant's endpoint. HTTPS; plain HTTP only to a loopback address. */
  readonly url: string
  /** HTTP Basic, or OAuth 2.0 client credentials. */
  readonly auth: UidEndpointAuth
  /**
   * Region national numbers are read in, and (with `numberFormat: 'national'`) the region
   * whose numbers are sent without their country code.
   * @defaultValue `'CN'`
   */
  readonly defaultRegion?: string
  /**
   * `national`: numbers of `defaultRegion` are sent as the protocol's example shows them
   * (`13988888888`, a CN landline with its `0`), others in the platform format;
   * `platform`: every number as `00` + country code + number.
   * @defaultValue `'national'`
   */
  readonly numberFormat?: UidWireNumberFormat
  /**
   * How long the first lookup of a batch waits for others to join it.
   * @defaultValue 10
   */
  readonly batchWindowMs?: number
  /** @defaultValue 200 */
  readonly maxBatchSize?: number
  /**
   * Entries kept per direction in the in-memory cache (never persisted).
   * @defaultValue 10 000
   */
  readonly cacheSize?: number
  /** @defaultValue 300 000 (5 minutes) */
  readonly cacheTtlMs?: number
  /**
   * Per attempt, including the OAuth token request.
   * @defaultValue 2 000
   */
  readonly timeoutMs?: number
  /**
   * The largest response body read, in bytes. A longer body is not read further: the
   * request is aborted and its keys fail with reason `invalid_response`.
   * @defaultValue 8 388 608 (8 MiB)
   */
  readonly maxResponseBytes?: number
  /**
   * Retries after a network error, a timeout or a 5xx answer (never after a 4xx, a
   * non-zero `Code` or an invalid response).
   * @defaultValue 2
   */
  readonly retries?: number
  /**
   * The exponential backoff's base; each retry waits a random time up to
   * `min(retryMaxDelayMs, retryBaseDelayMs × 2^attempt)` (full jitter).
   * @defaultValue 50
   */
  readonly retryBaseDelayMs?: number
  /** @defaultValue 1 000 */
  readonly retryMaxDelayMs?: number
  /**
   * Consecutive failed requests (after their retries) that open the circuit.
   * @defaultValue 5
   */
  readonly breakerFailureThreshold?: number
  /**
   * How long an open circuit refuses requests before one probe is let through.
   * @defaultValue 10 000
   */
  readonly breakerOpenMs?: number
  /** @defaultValue the system clock */
  readonly clock?: Clock
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: typeof globalThis.fetch
  /** Replaces the HTTP transport (an RPC of the host's own, or a test double). */
  readonly transport?: UidMappingTransport
  /** @defaultValue `Math.random` */
  readonly random?: () => number
}

/** Counters for metrics and tests. */
export interface UidMappingClientStats {
  /** Mapping requests sent, retries included. */
  readonly requests: number
  /** Batches formed (one or more requests each). */
  readonly batches: number
  readonly cacheHits: number
  readonly cacheMisses: number
  readonly circuit: CircuitState
}

/** One key's outcome in the `…Settled` methods. */
export type UidLookupResult =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: UidUnresolved }

/** A client of one tenant's UID-mapping endpoint. */
export interface UidMappingClient {
  /**
   * Maps numbers (any accepted notation) to UIDs. Resolves with every input as a key, or
   * rejects with `ERR_UID_UNRESOLVED` when any input could not be mapped.
   */
  phoneToUid(numbers: readonly string[]): Promise<Map<string, string>>
  /**
   * Maps UIDs to numbers, returned in E.164. Resolves with every UID as a key, or rejects
   * with `ERR_UID_UNRESOLVED` when any could not be resolved.
   */
  uidToPhone(uids: readonly string[]): Promise<Map<string, string>>
  /** Like {@link phoneToUid}, settling every input on its own. */
  phoneToUidSettled(numbers: readonly string[]): Promise<Map<string, UidLookupResult>>
  /** Like {@link uidToPhone}, settling every input on its own. */
  uidToPhoneSettled(uids: readonly string[]): Promise<Map<string, UidLookupResult>>
  stats(): UidMappingClientStats
  /** Fails pending lookups with reason `closed`, forgets the cache. Idempotent. */
  close(): Promise<void>
}

const positiveInt = z.number().int().positive()
const nonNegativeInt = z.number().int().nonnegative()
const secret = z.string().min(1)

/**
 * The settings of a tenant's UID endpoint as configuration holds them (the client's options
 * without the clock and injected parts, and without `defaultRegion`, which comes from the
 * tenant).
 */
export const uidEndpointSettingsSchema = z
  .object({
    url: z.string().refine((url) => endpointUrlProblem(url) === undefined, {
      error: (i) => `url ${endpointUrlProblem(String(i.input))}`,
    }),
    auth: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('basic'),
        username: z
          .string()
          .min(1)
          .refine((u) => !u.includes(':'), "must not contain ':'"),
        password: secret,
      }),
      z.object({
        type: z.literal('oauth2'),
        tokenUrl: z.string().refine((url) => endpointUrlProblem(url) === undefined, {
          error: (i) => `tokenUrl ${endpointUrlProblem(String(i.input))}`,
        }),
        clientId: secret,
        clientSecret: secret,
        scope: z.string().min(1).optional(),
        clientAuth: z.enum(OAUTH_CLIENT_AUTH_METHODS).optional(),
      }),
    ]),
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as CN')
      .default('CN'),
    numberFormat: z.enum(UID_WIRE_NUMBER_FORMATS).default('national'),
    batchWindowMs: nonNegativeInt.max(1_000).default(10),
    maxBatchSize: positiveInt.max(10_000).default(200),
    cacheSize: positiveInt.max(10_000_000).default(10_000),
    cacheTtlMs: positiveInt.default(300_000),
    timeoutMs: positiveInt.max(120_000).default(2_000),
    maxResponseBytes: positiveInt.max(64 * 1024 * 1024).default(8 * 1024 * 1024),
    retries: nonNegativeInt.max(10).default(2),
    retryBaseDelayMs: nonNegativeInt.default(50),
    retryMaxDelayMs: nonNegativeInt.default(1_000),
    breakerFailureThreshold: positiveInt.default(5),
    breakerOpenMs: positiveInt.default(10_000),
  })
  .strict()

/** A tenant's UID endpoint settings as written in configuration. */
export type UidEndpointSettings = z.input<typeof uidEndpointSettingsSchema>

const optionsSchema = uidEndpointSettingsSchema.extend({
  defaultRegion: z
    .string()
    .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as CN')
    .default('CN'),
})

/** Reasons that mean the endpoint could not be reached in time: retried, and counted by the breaker. */
const UNAVAILABLE: ReadonlySet<UidUnresolvedReason> = new Set(['timeout', 'unavailable'])

/**
 * Creates a client of a tenant's UID-mapping endpoint.
 *
 * Lookups made within `batchWindowMs` of each other leave as one request; answers are kept
 * in a bounded in-memory cache for `cacheTtlMs`, both ways. Responses are read strictly: a
 * non-zero `Code`, a malformed body, a key nobody asked for or a body over
 * `maxResponseBytes` fail the batch; a key left out, a UID that is not 1–64 of
 * `[A-Za-z0-9._~-]` or that shares five consecutive digits with the number it stands for
 * (in any script's digits), or a UIDToPhone value that is not `00` + country code + number
 * fail that key. Failures reject with `ERR_UID_UNRESOLVED` and a `reason`; nothing is guessed.
 *
 * @example
 * ```ts
 * const uids = createUidMappingClient({
 *   url: 'https://crm.example.com/uid-mapping',
 *   auth: { type: 'basic', username: 'callwarden', password: process.env.UID_PASSWORD ?? '' },
 * })
 * const byNumber = await uids.phoneToUid(['+8613988888888']) // Map { '+8613988888888' => '139abcdefg' }
 * const byUid = await uids.uidToPhone(['139abcdefg']) // Map { '139abcdefg' => '+8613988888888' }
 * await uids.close()
 * ```
 */
export function createUidMappingClient(options: UidMappingClientOptions): UidMappingClient {
  const {
    clock: givenClock,
    fetch: givenFetch,
    transport: givenTransport,
    random: givenRandom,
    ...rest
  } = options
  const parsed = optionsSchema.safeParse(rest)
  if (!parsed.success) {
    throw new ConfigInvalid(
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    )
  }
  const o = parsed.data
  const clock = givenClock ?? systemClock
  const random = givenRandom ?? Math.random
  const transport =
    givenTransport ??
    new HttpUidMappingTransport({
      url: o.url,
      auth: o.auth,
      timeoutMs: o.timeoutMs,
      maxResponseBytes: o.maxResponseBytes,
      clock,
      fetch: givenFetch,
    })
  const closing = new AbortController()
  const breaker = new CircuitBreaker({
    failureThreshold: o.breakerFailureThreshold,
    openMs: o.breakerOpenMs,
    clock,
  })
  const cacheOptions = {
    max: o.cacheSize,
    ttl: o.cacheTtlMs,
    // Read the injected clock on every check: no timers, and tests can move time.
    ttlResolution: 0,
    perf: { now: () => clock.now().getTime() },
  }
  const uidByNumber = new LRUCache<string, string>(cacheOptions)
  const numberByUid = new LRUCache<string, string>(cacheOptions)
  let requests = 0
  let cacheHits = 0
  let cacheMisses = 0

  // A number's parse travels with its batch (parseNumber itself remembers recent inputs).
  const parsedByWire = new Map<string, ParsedNumber>()

  const toWire = (number: ParsedNumber): string => {
    const platform = formatParsedPlatformNumber(number)
    return o.numberFormat === 'national' && number.region === o.defaultRegion
      ? platform.slice(2 + number.countryCode.length)
      : platform
  }

  const send = async (mode: UidMappingMode, keys: readonly string[]): Promise<unknown> => {
    for (let attempt = 0; ; attempt += 1) {
      if (closing.signal.aborted)
        throw new UidUnresolved(mode, 'closed', 'the client was closed', { count: keys.length })
      requests += 1
      try {
        return await transport.send({ Numbers: keys, Mode: mode }, closing.signal)
      } catch (error) {
        const failure = asUnresolved(mode, error, keys.length)
        if (!UNAVAILABLE.has(failure.reason) || attempt >= o.retries) throw failure
        const cap = Math.min(o.retryMaxDelayMs, o.retryBaseDelayMs * 2 ** attempt)
        await sleep(Math.floor(random() * cap), undefined, { signal: closing.signal }).catch(() => undefined)
      }
    }
  }

  const runBatch = async (
    mode: UidMappingMode,
    keys: readonly string[],
    checkValue: (key: string, value: string) => string | undefined,
  ): Promise<
    Map<string, { ok: true; value: string } | { ok: false; reason: UidUnresolvedReason; detail: string }>
  > => {
    if (!breaker.tryPass()) {
      throw new UidUnresolved(mode, 'circuit_open', 'the endpoint failed repeatedly; requests are paused', {
        count: keys.length,
      })
    }
    let body: unknown
    try {
      body = await send(mode, keys)
    } catch (error) {
      const failure = asUnresolved(mode, error, keys.length)
      if (UNAVAILABLE.has(failure.reason)) breaker.failure()
      else breaker.neutral()
      throw failure
    }
    breaker.success()
    return readUidMappingResponse(mode, body, keys, checkValue)
  }

  const toBatchOutcome = (
    mode: UidMappingMode,
    outcomes: Map<
      string,
      { ok: true; value: string } | { ok: false; reason: UidUnresolvedReason; detail: string }
    >,
    onValue: (key: string, value: string) => string,
  ): BatchOutcome<string> => {
    const result: BatchOutcome<string> = new Map()
    for (const [key, outcome] of outcomes) {
      result.set(
        key,
        outcome.ok
          ? { ok: true, value: onValue(key, outcome.value) }
          : { ok: false, error: new UidUnresolved(mode, outcome.reason, outcome.detail) },
      )
    }
    return result
  }

  const wireNumber = (wire: string): ParsedNumber => parsedByWire.get(wire) ?? parseNumber(wire, o)

  const phoneBatcher = new MicroBatcher<string>({
    windowMs: o.batchWindowMs,
    maxBatchSize: o.maxBatchSize,
    missing: () => new UidUnresolved('PhoneToUID', 'not_found', 'the batch did not settle the key'),
    execute: async (wireNumbers) => {
      try {
        const outcomes = await runBatch('PhoneToUID', wireNumbers, (wire, uid) => {
          const problem = uidValueProblem(uid, wireNumber(wire))
          return problem === undefined ? undefined : `the UID returned is refused: ${problem}`
        })
        return toBatchOutcome('PhoneToUID', outcomes, (wire, uid) => {
          const e164 = wireNumber(wire).e164
          uidByNumber.set(e164, uid)
          numberByUid.set(uid, e164)
          return uid
        })
      } finally {
        for (const wire of wireNumbers) parsedByWire.delete(wire)
      }
    },
  })

  const uidBatcher = new MicroBatcher<string>({
    windowMs: o.batchWindowMs,
    maxBatchSize: o.maxBatchSize,
    missing: () => new UidUnresolved('UIDToPhone', 'not_found', 'the batch did not settle the key'),
    execute: async (uids) => {
      const outcomes = await runBatch('UIDToPhone', uids, (_uid, number) =>
        platformNumberProblem(number, o.defaultRegion),
      )
      return toBatchOutcome('UIDToPhone', outcomes, (uid, number) => {
        const e164 = parseNumber(number, o).e164
        numberByUid.set(uid, e164)
        uidByNumber.set(e164, uid)
        return e164
      })
    },
  })

  const settleAll = async (
    mode: UidMappingMode,
    inputs: readonly string[],
    lookup: (input: string) => Promise<string>,
  ): Promise<Map<string, UidLookupResult>> => {
    if (!Array.isArray(inputs)) throw new TypeError(`${mode} takes an array of strings`)
    for (const input of inputs) {
      if (typeof input !== 'string')
        throw new TypeError(`${mode} takes an array of strings, got a ${typeof input}`)
    }
    const unique = [...new Set(inputs)]
    const settled = await Promise.all(
      unique.map((input) =>
        lookup(input).then(
          (value): UidLookupResult => ({ ok: true, value }),
          (error: unknown): UidLookupResult => ({ ok: false, error: asUnresolved(mode, error, 1) }),
        ),
      ),
    )
    return new Map(unique.map((input, i) => [input, settled[i] as UidLookupResult]))
  }

  const lookupUid = (input: string): Promise<string> => {
    if (closing.signal.aborted)
      return Promise.reject(new UidUnresolved('PhoneToUID', 'closed', 'the client was closed'))
    let number: ParsedNumber
    try {
      number = parseNumber(input, o)
    } catch (error) {
      return Promise.reject(
        new UidUnresolved('PhoneToUID', 'invalid_input', 'the input is not a phone number', { cause: error }),
      )
    }
    const cached = uidByNumber.get(number.e164)
    if (cached !== undefined) {
      cacheHits += 1
      return Promise.resolve(cached)
    }
    cacheMisses += 1
    const wire = toWire(number)
    parsedByWire.set(wire, number)
    return phoneBatcher.load(wire)
  }

  const lookupNumber = (uid: string): Promise<string> => {
    if (closing.signal.aborted)
      return Promise.reject(new UidUnresolved('UIDToPhone', 'closed', 'the client was closed'))
    const problem = uidProblem(uid)
    if (problem !== undefined) {
      return Promise.reject(new UidUnresolved('UIDToPhone', 'invalid_input', `the UID is ${problem}`))
    }
    const cached = numberByUid.get(uid)
    if (cached !== undefined) {
      cacheHits += 1
      return Promise.resolve(cached)
    }
    cacheMisses += 1
    return uidBatcher.load(uid)
  }

  const strict = async (
    mode: UidMappingMode,
    settled: Promise<Map<string, UidLookupResult>>,
  ): Promise<Map<string, string>> => {
    const results = await settled
    const values = new Map<string, string>()
    const failures: UidUnresolved[] = []
    for (const [input, result] of results) {
      if (result.ok) values.set(input, result.value)
      else failures.push(result.error)
    }
    const [first] = failures
    if (first === undefined) return values
    throw new UidUnresolved(mode, first.reason, first.detail, {
      count: failures.length,
      cause: first,
    })
  }

  // One key is the common case (one agent view, one dial): no sets, no Promise.all.
  const one = (mode: UidMappingMode, input: string, lookup: (input: string) => Promise<string>) =>
    lookup(input).then(
      (value) => new Map([[input, value]]),
      (error: unknown) => {
        throw asUnresolved(mode, error, 1)
      },
    )

  let closed: Promise<void> | undefined
  return {
    phoneToUidSettled: (numbers) => settleAll('PhoneToUID', numbers, lookupUid),
    uidToPhoneSettled: (uids) => settleAll('UIDToPhone', uids, lookupNumber),
    phoneToUid: (numbers) =>
      isOne(numbers)
        ? one('PhoneToUID', numbers[0], lookupUid)
        : strict('PhoneToUID', settleAll('PhoneToUID', numbers, lookupUid)),
    uidToPhone: (uids) =>
      isOne(uids)
        ? one('UIDToPhone', uids[0], lookupNumber)
        : strict('UIDToPhone', settleAll('UIDToPhone', uids, lookupNumber)),
    stats: () => ({
      requests,
      batches: phoneBatcher.batches + uidBatcher.batches,
      cacheHits,
      cacheMisses,
      circuit: breaker.state,
    }),
    close: () =>
      (closed ??= Promise.resolve().then(() => {
        closing.abort()
        phoneBatcher.failAll(new UidUnresolved('PhoneToUID', 'closed', 'the client was closed'))
        uidBatcher.failAll(new UidUnresolved('UIDToPhone', 'closed', 'the client was closed'))
        uidByNumber.clear()
        numberByUid.clear()
        parsedByWire.clear()
      })),
  }
}

function isOne(inputs: readonly string[]): inputs is readonly [string] {
  return Array.isArray(inputs) && inputs.length === 1 && typeof inputs[0] === 'string'
}

/** Why a UIDToPhone value is not `00` + country code + number, or `undefined` when it is. */
function platformNumberProblem(value: string, defaultRegion: string): string | undefined {
  if (!/^00[1-9]\d{4,17}$/.test(value)) {
    return 'the number returned is not 00 + country code + number'
  }
  try {
    parseNumber(value, { defaultRegion })
    return undefined
  } catch {
    return 'the number returned is not a possible phone number'
  }
}

function asUnresolved(mode: UidMappingMode, error: unknown, count: number): UidUnresolved {
  if (error instanceof UidUnresolved) return error
  return new UidUnresolved(mode, 'unavailable', 'the mapping failed unexpectedly', { count, cause: error })
}
