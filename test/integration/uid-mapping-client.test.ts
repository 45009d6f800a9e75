/**
 * The UID-mapping client against a real HTTP endpoint on loopback (node:http), in both
 * auth schemes and through every way the endpoint can misbehave.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import {
  UidUnresolved,
  createUidMappingClient,
  type UidMappingClient,
  type UidMappingClientOptions,
} from '../../src/masking/index.js'
import { UidEndpoint } from '../fixtures/uid-endpoint.js'

const MOBILE = '+8613988888888'
const MOBILE_2 = '+8613788888888'

let basic: UidEndpoint
let oauth: UidEndpoint
const clients: UidMappingClient[] = []

beforeAll(async () => {
  basic = await UidEndpoint.start({ auth: { type: 'basic', username: 'cw', password: 's3cret' } })
  oauth = await UidEndpoint.start({
    auth: { type: 'oauth2', clientId: 'cw', clientSecret: 'client-s3cret', expiresIn: 60 },
  })
})

afterAll(async () => {
  await Promise.all([basic.close(), oauth.close()])
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  for (const endpoint of [basic, oauth]) {
    endpoint.behave({ kind: 'ok' })
    endpoint.requests.length = 0
    endpoint.tokenRequests = 0
    endpoint.bodyBytesSent = 0
    endpoint.tokenFloodBytes = undefined
  }
})

function basicClient(options: Partial<UidMappingClientOptions> = {}): UidMappingClient {
  const client = createUidMappingClient({
    url: basic.url,
    auth: { type: 'basic', username: 'cw', password: 's3cret' },
    batchWindowMs: 5,
    retryBaseDelayMs: 1,
    ...options,
  })
  clients.push(client)
  return client
}

function oauthClient(options: Partial<UidMappingClientOptions> = {}): UidMappingClient {
  const client = createUidMappingClient({
    url: oauth.url,
    auth: { type: 'oauth2', tokenUrl: oauth.tokenUrl, clientId: 'cw', clientSecret: 'client-s3cret' },
    batchWindowMs: 5,
    retryBaseDelayMs: 1,
    ...options,
  })
  clients.push(client)
  return client
}

async function failure(promise: Promise<unknown>): Promise<UidUnresolved> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UidUnresolved)
  const unresolved = error as UidUnresolved
  expect(unresolved.code).toBe('ERR_UID_UNRESOLVED')
  // Nothing the client reports may carry a number.
  expect(`${unresolved.message} ${JSON.stringify(unresolved)}`).not.toMatch(/\d{7,}/)
  return unresolved
}

describe('Basic auth', () => {
  it('maps numbers in any notation to UIDs and back, sending the protocol exactly', async () => {
    const client = basicClient()
    const uids = await client.phoneToUid([MOBILE, '008613788888888', '13988888888'])
    expect(uids).toEqual(
      new Map([
        [MOBILE, UidEndpoint.uidFor('13988888888')],
        ['008613788888888', UidEndpoint.uidFor('13788888888')],
        ['13988888888', UidEndpoint.uidFor('13988888888')],
      ]),
    )
    expect(basic.requests).toEqual([
      {
        mode: 'PhoneToUID',
        numbers: ['13988888888', '13788888888'],
        authorization: `Basic ${Buffer.from('cw:s3cret').toString('base64')}`,
      },
    ])
    const uid = uids.get(MOBILE) as string
    // The reverse is already known from the first answer: no second request.
    expect(await client.uidToPhone([uid])).toEqual(new Map([[uid, MOBILE]]))
    expect(basic.requests).toHaveLength(1)
    // The two notations of one number were coalesced in flight; the reverse came from the cache.
    expect(client.stats()).toMatchObject({ requests: 1, batches: 1, cacheHits: 1, cacheMisses: 3 })
  })

  it('resolves UIDs it has not seen through UIDToPhone, in E.164', async () => {
    const seeding = basicClient()
    const uid = (await seeding.phoneToUid([MOBILE_2])).get(MOBILE_2) as string
    const client = basicClient()
    expect(await client.uidToPhone([uid])).toEqual(new Map([[uid, MOBILE_2]]))
    expect(basic.requests.at(-1)).toMatchObject({ mode: 'UIDToPhone', numbers: [uid] })
  })

  it('sends non-CN numbers, and everything in platform format when asked, with their country code', async () => {
    await basicClient().phoneToUid(['+12025550123'])
    await basicClient({ numberFormat: 'platform' }).phoneToUid([MOBILE])
    expect(basic.requests.map((r) => r.numbers)).toEqual([['0012025550123'], ['008613988888888']])
  })

  it('refuses wrong credentials at once, without retrying', async () => {
    const client = basicClient({ auth: { type: 'basic', username: 'cw', password: 'wrong' } })
    const error = await failure(client.phoneToUid([MOBILE]))
    expect(error.reason).toBe('unauthorized')
    expect(client.stats().requests).toBe(1)
  })
})

describe('OAuth 2.0 client credentials', () => {
  it('fetches one token, reuses it, and refreshes it before it expires', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 9))
    const client = oauthClient({ clock, cacheTtlMs: 1 })
    await Promise.all([client.phoneToUid([MOBILE]), client.phoneToUid([MOBILE_2])])
    clock.advance(1_000)
    await client.phoneToUid([MOBILE])
    expect(oauth.tokenRequests).toBe(1)
    // expires_in 60 s: refreshed a tenth of its lifetime early, at 54 s.
    clock.advance(53_500)
    await client.phoneToUid([MOBILE])
    expect(oauth.tokenRequests).toBe(2)
    const tokens = new Set(oauth.requests.map((r) => r.authorization))
    expect(tokens.size).toBe(2)
  })

  it('refreshes the token once when the endpoint answers 401, then succeeds', async () => {
    const client = oauthClient()
    await client.phoneToUid([MOBILE])
    oauth.revokeTokens()
    expect((await client.phoneToUid([MOBILE_2])).size).toBe(1)
    expect(oauth.tokenRequests).toBe(2)
  })

  it('gives up after one refresh when the new token is refused too', async () => {
    const client = oauthClient()
    await client.phoneToUid([MOBILE])
    oauth.behave({ kind: 'status', status: 401 })
    const error = await failure(client.phoneToUid([MOBILE_2]))
    expect(error.reason).toBe('unauthorized')
    expect(oauth.tokenRequests).toBe(2)
  })

  it('reports refused client credentials as unauthorized', async () => {
    const client = oauthClient({
      auth: { type: 'oauth2', tokenUrl: oauth.tokenUrl, clientId: 'cw', clientSecret: 'wrong' },
    })
    expect((await failure(client.phoneToUid([MOBILE]))).reason).toBe('unauthorized')
  })

  it('supports client_secret_post', async () => {
    const client = oauthClient({
      auth: {
        type: 'oauth2',
        tokenUrl: oauth.tokenUrl,
        clientId: 'cw',
        clientSecret: 'client-s3cret',
        clientAuth: 'client_secret_post',
      },
    })
    expect((await client.phoneToUid([MOBILE])).size).toBe(1)
  })
})

describe('micro-batching', () => {
  it('sends 1,000 concurrent lookups of 600 distinct numbers in a handful of requests', async () => {
    const client = basicClient({ batchWindowMs: 10, maxBatchSize: 200 })
    const numbers = Array.from({ length: 600 }, (_, i) => `+86139${String(10_000_000 + i)}`)
    const lookups = Array.from({ length: 1_000 }, (_, i) => numbers[i % numbers.length] as string)
    const results = await Promise.all(lookups.map((n) => client.phoneToUid([n])))
    expect(
      results.every((map, i) => map.get(lookups[i] as string) === UidEndpoint.uidFor(lookups[i]!.slice(3))),
    ).toBe(true)
    const sent = basic.requests.flatMap((r) => r.numbers)
    expect(basic.requests.length).toBeLessThanOrEqual(20)
    expect(basic.requests.length).toBe(3)
    expect(sent).toHaveLength(600)
    expect(new Set(sent).size).toBe(600)
  })

  it('never sends a batch larger than maxBatchSize', async () => {
    const client = basicClient({ batchWindowMs: 50, maxBatchSize: 7 })
    await client.phoneToUid(Array.from({ length: 30 }, (_, i) => `+86139${String(20_000_000 + i)}`))
    // Batches go out concurrently, so the endpoint may see them in any order.
    const sizes = basic.requests.map((r) => r.numbers.length)
    expect(sizes.every((n) => n <= 7)).toBe(true)
    expect([...sizes].sort((a, b) => a - b)).toEqual([2, 7, 7, 7, 7])
    expect(new Set(basic.requests.flatMap((r) => r.numbers)).size).toBe(30)
  })
})

describe('failures', () => {
  it('times out a slow endpoint, retrying once', async () => {
    basic.behave({ kind: 'slow', delayMs: 400 })
    const client = basicClient({ timeoutMs: 100, retries: 1 })
    expect((await failure(client.phoneToUid([MOBILE]))).reason).toBe('timeout')
    expect(client.stats().requests).toBe(2)
  })

  it('retries 5xx answers and dropped connections, then succeeds', async () => {
    basic.behave({ kind: 'status', status: 503, times: 2 })
    const client = basicClient({ retries: 2 })
    expect((await client.phoneToUid([MOBILE])).size).toBe(1)
    expect(client.stats().requests).toBe(3)
    basic.behave({ kind: 'reset', times: 1 })
    expect((await client.phoneToUid([MOBILE_2])).size).toBe(1)
    expect(client.stats().requests).toBe(5)
  })

  it('does not retry a 4xx answer or a non-zero Code', async () => {
    basic.behave({ kind: 'status', status: 400 })
    const client = basicClient()
    expect((await failure(client.phoneToUid([MOBILE]))).reason).toBe('rejected')
    basic.behave({ kind: 'code', code: 1001 })
    expect((await failure(client.phoneToUid([MOBILE]))).reason).toBe('rejected')
    expect(client.stats().requests).toBe(2)
  })

  it.each([
    ['not JSON', { kind: 'body', body: '<html>oops</html>' }],
    ['no Results', { kind: 'body', body: '{"Code":0}' }],
    ['Code not a number', { kind: 'body', body: '{"Code":"0","Results":[]}' }],
    ['non-string value', { kind: 'value', value: 12345 }],
    ['an unrequested key', { kind: 'extra-key' }],
  ] as const)('fails the whole batch on a malformed response: %s', async (_name, behaviour) => {
    basic.behave(behaviour)
    const client = basicClient()
    const settled = await client.phoneToUidSettled([MOBILE, MOBILE_2])
    for (const result of settled.values()) {
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.reason).toBe('invalid_response')
    }
  })

  it('stops reading a chunked body at maxResponseBytes, aborting the request', async () => {
    const limit = 256 * 1024
    const flood = 512 * 1024 * 1024
    basic.behave({ kind: 'flood', bytes: flood })
    basic.bodyBytesSent = 0
    const client = basicClient({ maxResponseBytes: limit, retries: 0, timeoutMs: 60_000 })
    const error = await failure(client.phoneToUid([MOBILE]))
    expect(error.reason).toBe('invalid_response')
    // The server stops when the connection closes; what it got out is the limit plus what
    // the socket buffers on both sides held, not the half gigabyte it meant to send.
    await expect.poll(() => basic.requests.length).toBe(1)
    expect(basic.bodyBytesSent).toBeGreaterThan(limit)
    expect(basic.bodyBytesSent).toBeLessThan(limit + 16 * 1024 * 1024)
  })

  it('stops reading an OAuth token response at 64 KiB', async () => {
    oauth.tokenFloodBytes = 512 * 1024 * 1024
    const client = oauthClient({ retries: 0, timeoutMs: 60_000 })
    expect((await failure(client.phoneToUid([MOBILE]))).reason).toBe('invalid_response')
    expect(oauth.requests).toHaveLength(0)
    expect(oauth.bodyBytesSent).toBeLessThan(64 * 1024 + 16 * 1024 * 1024)
  })

  it('refuses a Content-Length over maxResponseBytes before reading the body', async () => {
    basic.behave({ kind: 'declared', bytes: 1024 * 1024 * 1024 })
    const client = basicClient({ maxResponseBytes: 1024 * 1024, retries: 0, timeoutMs: 60_000 })
    expect((await failure(client.phoneToUid([MOBILE]))).reason).toBe('invalid_response')
  })

  it('fails only the keys a partial response leaves out', async () => {
    basic.behave({ kind: 'omit', keys: ['13788888888'] })
    const client = basicClient()
    const settled = await client.phoneToUidSettled([MOBILE, MOBILE_2])
    expect(settled.get(MOBILE)).toEqual({ ok: true, value: UidEndpoint.uidFor('13988888888') })
    expect(settled.get(MOBILE_2)).toMatchObject({ ok: false, error: { reason: 'not_found' } })
    const error = await failure(client.phoneToUid([MOBILE_2, MOBILE]))
    expect(error).toMatchObject({ reason: 'not_found', count: 1 })
  })

  it('refuses a UID that contains the number it stands for', async () => {
    basic.behave({ kind: 'echo' })
    expect((await failure(basicClient().phoneToUid([MOBILE]))).reason).toBe('invalid_response')
  })

  it.each([
    ['full-width digits', '１３９８８８８８８８８'],
    ['Arabic-Indic digits', '١٣٩٨٨٨٨٨٨٨٨'],
    ['Devanagari digits', 'u-३९८८८'],
    ['the first digit dropped', '3988888888'],
    ['five of its digits between letters', 'a8b8c8d8e8'],
    ['its digits with separators', '139-8888-8888'],
    ['markup', '<img src=x onerror=alert(1)>'],
    ['a space', 'u 1'],
    ['65 characters', 'u'.repeat(65)],
    ['an empty string', ''],
  ])('refuses a PhoneToUID answer carrying %s', async (_name, value) => {
    basic.behave({ kind: 'value', value })
    expect((await failure(basicClient().phoneToUid([MOBILE]))).reason).toBe('invalid_response')
  })

  it.each([
    ['the number reversed', '00656482731'],
    ['the number spelled out', 'onethreeseventwoeightfoursixfivesixzerozero'],
    ['the number spelled out, separated, in capitals', 'ONE-THREE-SEVEN-TWO-EIGHT'],
    ["another customer's valid number", '13800000001'],
    ["another customer's valid number in 00 form", '008613800000001'],
  ])('refuses a PhoneToUID answer carrying %s readably', async (_name, value) => {
    const number = '+8613728465600'
    basic.behave({ kind: 'value', value })
    expect((await failure(basicClient().phoneToUid([number]))).reason).toBe('invalid_response')
  })

  it.each(['139abcdefg', 'u-1398', 'u-10023', 'A.b_c~d-9', 'x'.repeat(64)])(
    'accepts a UID of the allowed form sharing at most four digits with the number: %s',
    async (value) => {
      basic.behave({ kind: 'value', value })
      expect((await basicClient().phoneToUid([MOBILE])).get(MOBILE)).toBe(value)
    },
  )

  it('does not repeat a long non-zero Code, which could be a number', async () => {
    basic.behave({ kind: 'code', code: 13988888888 })
    expect((await failure(basicClient().phoneToUid([MOBILE]))).reason).toBe('rejected')
  })

  it.each(['13988888888', '+8613988888888', '0086abc', ''])(
    'refuses a UIDToPhone answer that is not 00 + country code + number: %j',
    async (value) => {
      basic.behave({ kind: 'value', value })
      expect((await failure(basicClient().uidToPhone(['u-123']))).reason).toBe('invalid_response')
    },
  )

  it('rejects inputs that are not numbers or not UIDs without asking the endpoint', async () => {
    const client = basicClient()
    expect((await failure(client.phoneToUid(['12']))).reason).toBe('invalid_input')
    expect((await failure(client.uidToPhone(['bad\u0000uid']))).reason).toBe('invalid_input')
    expect((await failure(client.uidToPhone(['x'.repeat(65)]))).reason).toBe('invalid_input')
    expect((await failure(client.uidToPhone(['<b>u</b>']))).reason).toBe('invalid_input')
    expect(basic.requests).toHaveLength(0)
    await expect(client.phoneToUid('13988888888' as unknown as string[])).rejects.toThrow(TypeError)
  })

  it('opens the circuit after repeated failures, refuses without sending, then probes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 9))
    basic.behave({ kind: 'status', status: 503 })
    const client = basicClient({ clock, retries: 0, breakerFailureThreshold: 2, breakerOpenMs: 5_000 })
    await failure(client.phoneToUid([MOBILE]))
    await failure(client.phoneToUid([MOBILE]))
    expect(client.stats().circuit).toBe('open')
    expect((await failure(client.phoneToUid([MOBILE]))).reason).toBe('circuit_open')
    expect(basic.requests).toHaveLength(2)
    clock.advance(5_000)
    basic.behave({ kind: 'ok' })
    expect((await client.phoneToUid([MOBILE])).size).toBe(1)
    expect(client.stats().circuit).toBe('closed')
  })

  it('fails pending lookups when closed, and every lookup after', async () => {
    basic.behave({ kind: 'slow', delayMs: 300 })
    const client = basicClient()
    const pending = client.phoneToUid([MOBILE])
    await new Promise((resolve) => setTimeout(resolve, 30))
    await client.close()
    expect((await failure(pending)).reason).toBe('closed')
    expect((await failure(client.uidToPhone(['u-1']))).reason).toBe('closed')
  })

  it('expires cached answers after the TTL', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 9))
    const client = basicClient({ clock, cacheTtlMs: 60_000 })
    // Counted by this client: the shared endpoint may still log a late request of an earlier test.
    await client.phoneToUid([MOBILE])
    await client.phoneToUid([MOBILE])
    expect(client.stats()).toMatchObject({ requests: 1, cacheHits: 1 })
    clock.advance(60_001)
    await client.phoneToUid([MOBILE])
    expect(client.stats().requests).toBe(2)
  })
})

describe('configuration', () => {
  it.each([
    ['plain http to another host', { url: 'http://crm.example.com/map' }],
    ['credentials in the URL', { url: 'https://user:pw@crm.example.com/map' }],
    ['a relative URL', { url: '/map' }],
    ['a Basic username with a colon', { auth: { type: 'basic', username: 'a:b', password: 'x' } }],
    ['a zero batch size', { maxBatchSize: 0 }],
    ['an unknown wire format', { numberFormat: 'e164' }],
  ] as const)('refuses %s', (_name, override) => {
    expect(() =>
      createUidMappingClient({
        url: 'https://crm.example.com/map',
        auth: { type: 'basic', username: 'cw', password: 'x' },
        ...(override as Partial<UidMappingClientOptions>),
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }))
  })
})
