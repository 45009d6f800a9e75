/**
 * Masking benchmarks, each against a named baseline run side by side in this process:
 *
 * 1. UID mode: 1,000 concurrent agent views against a local tenant endpoint (node:http with
 *    a simulated network round trip), through the batched client vs. the same client
 *    sending one request per number (`maxBatchSize: 1`, the per-number baseline). Reports
 *    HTTP requests and p50/p99 latency per view.
 * 2. Rewrite throughput: agent-view events rewritten by the `agentView()` pipeline on the
 *    cache-hit path (mask mode and UID mode, every number seen before) vs. a bare
 *    libphonenumber-js parse of the same numbers (the baseline: what a rewrite would cost if
 *    it parsed every time and did nothing else).
 *
 * Run: `npm run bench:masking` (prints a Markdown table for BENCHMARKS.md).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { parsePhoneNumberWithError } from 'libphonenumber-js/max'
import type { AuditSink } from '../dist/audit/audit-event.js'
import { ManualClock } from '../dist/clock.js'
import {
  NumberProtector,
  agentView,
  createUidMappingClient,
  type UidMappingClient,
} from '../dist/masking/index.js'
import type { AgentViewEvent } from '../dist/pipeline/call-events.js'
import { createPipeline } from '../dist/pipeline/pipeline.js'
import type { ProtectionMode } from '../dist/store/tenant-registry.js'

const VIEWS = 1_000
const ROUND_TRIP_MS = 5
const BATCH_WINDOW_MS = 10
const REWRITES = 100_000
const DISTINCT_NUMBERS = 5_000

/** Successful views audit nothing; a benchmark run that audits is a failed run. */
const noFailuresExpected: AuditSink = {
  append: () => Promise.reject(new Error('a benchmark view failed and was audited')),
}

function numbers(count: number, offset = 0): string[] {
  return Array.from(
    { length: count },
    (_, i) => `+86139${String(10_000_000 + (offset + i) * 7919).slice(-8)}`,
  )
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

function agentEvent(number: string, i: number): AgentViewEvent {
  return {
    type: 'agent-view',
    tenantId: 'acme',
    callId: `c-${i}`,
    agentId: 'agent-1',
    customerNumber: number,
    screenPopUrl: `https://crm.example.com/#?mobile=${number.slice(3)}&type=phone&status=100`,
    status: 100,
    direction: 'inbound',
  }
}

function chainFor(mode: ProtectionMode, client: UidMappingClient | undefined) {
  const protector = new NumberProtector({
    protectionOf: () => ({ mode }),
    uidClientFor: () => client,
    audit: noFailuresExpected,
  })
  return createPipeline<AgentViewEvent>({ name: 'agent-view', clock: new ManualClock(0) }).use(
    agentView(protector),
  )
}

function clientFor(url: string, maxBatchSize: number): UidMappingClient {
  return createUidMappingClient({
    url,
    auth: { type: 'basic', username: 'cw', password: 'bench' },
    batchWindowMs: BATCH_WINDOW_MS,
    maxBatchSize,
    timeoutMs: 30_000,
  })
}

/** The client alone: 1,000 concurrent phoneToUid lookups of numbers not seen before. */
async function concurrentLookups(url: string, maxBatchSize: number, offset: number) {
  const client = clientFor(url, maxBatchSize)
  const latencies: number[] = []
  await Promise.all(
    numbers(VIEWS, offset).map(async (number) => {
      const t0 = performance.now()
      await client.phoneToUid([number])
      latencies.push(performance.now() - t0)
    }),
  )
  const requests = client.stats().requests
  await client.close()
  latencies.sort((a, b) => a - b)
  return { requests, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

async function concurrentViews(url: string, maxBatchSize: number) {
  const client = createUidMappingClient({
    url,
    auth: { type: 'basic', username: 'cw', password: 'bench' },
    batchWindowMs: BATCH_WINDOW_MS,
    maxBatchSize,
    timeoutMs: 30_000,
  })
  const chain = chainFor('uid', client)
  const latencies: number[] = []
  const started = performance.now()
  const decisions = await Promise.all(
    numbers(VIEWS).map(async (number, i) => {
      const t0 = performance.now()
      const event = agentEvent(number, i)
      const decision = await chain.run(event)
      latencies.push(performance.now() - t0)
      if (decision.verdict !== 'allow' || !decision.event.customerNumber.startsWith('u')) {
        throw new Error('a view was not mapped to a UID')
      }
      return decision
    }),
  )
  const wallMs = performance.now() - started
  const requests = client.stats().requests
  await client.close()
  latencies.sort((a, b) => a - b)
  return {
    views: decisions.length,
    requests,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    wallMs,
  }
}

/** The rewrite alone: the agentView() middleware called directly, no pipeline runner. */
async function bareRewriteThroughput() {
  const protector = new NumberProtector({ protectionOf: () => ({ mode: 'mask' }), audit: noFailuresExpected })
  const rewrite = agentView(protector)
  const pool = numbers(DISTINCT_NUMBERS)
  const next = () => Promise.resolve()
  const context = (event: AgentViewEvent) =>
    ({
      event,
      tenantId: event.tenantId,
      denied: false,
      deny: () => {
        throw new Error('a benchmark view was denied')
      },
      note: () => undefined,
    }) as unknown as Parameters<typeof rewrite>[0]
  for (const [i, number] of pool.entries()) await rewrite(context(agentEvent(number, i)), next)
  const started = performance.now()
  for (let i = 0; i < REWRITES; i += 1) {
    await rewrite(context(agentEvent(pool[i % DISTINCT_NUMBERS] as string, i)), next)
  }
  return REWRITES / ((performance.now() - started) / 1000)
}

/** The pipeline runner's own cost: one middleware that only calls next(). */
async function runnerThroughput() {
  const chain = createPipeline<AgentViewEvent>({ name: 'agent-view', clock: new ManualClock(0) }).use(
    async function passThrough(_ctx, next) {
      await next()
    },
  )
  const pool = numbers(DISTINCT_NUMBERS)
  const started = performance.now()
  for (let i = 0; i < REWRITES; i += 1) await chain.run(agentEvent(pool[i % DISTINCT_NUMBERS] as string, i))
  return REWRITES / ((performance.now() - started) / 1000)
}

async function rewriteThroughput(mode: ProtectionMode, client: UidMappingClient | undefined) {
  const chain = chainFor(mode, client)
  const pool = numbers(DISTINCT_NUMBERS)
  // Warm every cache on the path (parsed numbers, UIDs) and the JIT.
  for (const [i, number] of pool.entries()) await chain.run(agentEvent(number, i))
  const started = performance.now()
  for (let i = 0; i < REWRITES; i += 1) {
    await chain.run(agentEvent(pool[i % DISTINCT_NUMBERS] as string, i))
  }
  return REWRITES / ((performance.now() - started) / 1000)
}

function bareParseThroughput(): number {
  const pool = numbers(DISTINCT_NUMBERS)
  let sink = 0
  for (const number of pool) sink += parsePhoneNumberWithError(number).nationalNumber.length
  const started = performance.now()
  for (let i = 0; i < REWRITES; i += 1) {
    sink += parsePhoneNumberWithError(pool[i % DISTINCT_NUMBERS] as string).nationalNumber.length
  }
  const perSecond = REWRITES / ((performance.now() - started) / 1000)
  if (sink === 0) throw new Error('unreachable')
  return perSecond
}

const server = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    new URL('./uid-endpoint-process.ts', import.meta.url).pathname,
    'cw',
    'bench',
    String(ROUND_TRIP_MS),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
const [url] = (await once(createInterface({ input: server.stdout }), 'line')) as [string]
try {
  // Alternate the two sides so neither always runs on a colder or busier machine.
  const batched = []
  const perNumber = []
  const lookups = []
  const lookupsPerNumber = []
  for (let round = 0; round < 3; round += 1) {
    // Fresh numbers each round: every lookup goes to the endpoint.
    lookups.push(await concurrentLookups(url, 200, 100_000 + round * VIEWS))
    lookupsPerNumber.push(await concurrentLookups(url, 1, 200_000 + round * VIEWS))
    batched.push(await concurrentViews(url, 200))
    perNumber.push(await concurrentViews(url, 1))
  }
  const median = <T>(runs: T[], key: (r: T) => number) => runs.map(key).sort((a, b) => a - b)[1] as number

  const uidClient = createUidMappingClient({
    url,
    auth: { type: 'basic', username: 'cw', password: 'bench' },
    cacheSize: DISTINCT_NUMBERS * 2,
  })
  const throughput = {
    mask: [] as number[],
    uid: [] as number[],
    parse: [] as number[],
    rewrite: [] as number[],
    runner: [] as number[],
  }
  for (let round = 0; round < 3; round += 1) {
    throughput.parse.push(bareParseThroughput())
    throughput.rewrite.push(await bareRewriteThroughput())
    throughput.runner.push(await runnerThroughput())
    throughput.mask.push(await rewriteThroughput('mask', undefined))
    throughput.uid.push(await rewriteThroughput('uid', uidClient))
  }
  await uidClient.close()
  const med = (values: number[]) => [...values].sort((a, b) => a - b)[1] as number
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

  const out = process.stdout
  out.write(
    `\n### UID mode: ${VIEWS} concurrent agent views (round trip ${ROUND_TRIP_MS} ms, window ${BATCH_WINDOW_MS} ms)\n\n`,
  )
  out.write('The client alone (1,000 concurrent `phoneToUid` lookups of new numbers):\n\n')
  out.write('| client | HTTP requests | p50 ms | p99 ms |\n|---|---:|---:|---:|\n')
  for (const [name, runs] of [
    ['batched (window 10 ms, max batch 200)', lookups],
    ['baseline: one request per number', lookupsPerNumber],
  ] as const) {
    out.write(
      `| ${name} | ${median(runs, (r) => r.requests)} | ${median(runs, (r) => r.p50).toFixed(1)} | ${median(runs, (r) => r.p99).toFixed(1)} |\n`,
    )
  }
  out.write(
    '\nWhole agent views through the pipeline (1,000 concurrent `cw.pipeline.agentView`-style runs):\n\n',
  )
  out.write('| client | HTTP requests | p50 ms | p99 ms | wall ms |\n|---|---:|---:|---:|---:|\n')
  for (const [name, runs] of [
    ['batched (window 10 ms, max batch 200)', batched],
    ['baseline: one request per number', perNumber],
  ] as const) {
    out.write(
      `| ${name} | ${median(runs, (r) => r.requests)} | ${median(runs, (r) => r.p50).toFixed(1)} | ${median(runs, (r) => r.p99).toFixed(1)} | ${median(runs, (r) => r.wallMs).toFixed(0)} |\n`,
    )
  }
  out.write(
    `\nBatched vs. per-number: ${(median(perNumber, (r) => r.requests) / median(batched, (r) => r.requests)).toFixed(0)}× fewer requests, p99 ${(median(perNumber, (r) => r.p99) / median(batched, (r) => r.p99)).toFixed(1)}× lower.\n`,
  )
  out.write(
    `\n### Agent-view rewrites on the cache-hit path (${fmt(REWRITES)} events over ${fmt(DISTINCT_NUMBERS)} numbers)\n\n`,
  )
  out.write('| path | events/s | vs. bare parse |\n|---|---:|---:|\n')
  const parse = med(throughput.parse)
  for (const [name, value] of [
    ['baseline: bare libphonenumber-js parse (no rewrite)', parse],
    ['agentView() rewrite alone (middleware called directly), mask mode', med(throughput.rewrite)],
    ['pipeline runner alone (one pass-through middleware)', med(throughput.runner)],
    ['agentView() pipeline, mask mode', med(throughput.mask)],
    ['agentView() pipeline, UID mode (cached UIDs)', med(throughput.uid)],
  ] as const) {
    out.write(`| ${name} | ${fmt(value)} | ${(value / parse).toFixed(2)}× |\n`)
  }
  out.write(`\nNode ${process.version}, medians of 3 alternating rounds.\n`)
} finally {
  server.kill('SIGTERM')
  await once(server, 'exit')
}
