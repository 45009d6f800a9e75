/**
 * Audit benchmarks, each against a named baseline in the same run:
 *
 * 1. Append throughput with group commit on MariaDB (or the database in
 *    CALLWARDEN_BENCH_DATABASE_URL), against the same events appended one per transaction
 *    (group commit off: maxBatch 1).
 * 2. Verification (in memory, of a bundle file, and online from the database), against the
 *    ceiling: a bare loop of `crypto.hash('sha256', prev + event)` over the same events,
 *    already in memory.
 *
 * Run: `npm run bench:audit` (starts nothing: point CALLWARDEN_TEST_MYSQL_URL at a MariaDB,
 * e.g. `bash scripts/test-services.sh start && source .test-services/services.env`).
 */
import { hash } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair } from 'jose'
import { createConnection } from 'mysql2/promise'
import { AuditLog } from '../dist/audit/audit-log.js'
import { AuditTrail } from '../dist/audit/audit-trail.js'
import { readBundle, verifyBundle } from '../dist/audit/audit-bundle.js'
import { openDatabase } from '../dist/store/database.js'
import { LeaseManager } from '../dist/store/lease-manager.js'
import { migrate } from '../dist/store/migrations/migrate.js'
import { TenantRegistry } from '../dist/store/tenant-registry.js'

const APPEND_EVENTS = Number(process.env.BENCH_APPEND_EVENTS ?? 100_000)
const BASELINE_EVENTS = Number(process.env.BENCH_BASELINE_EVENTS ?? 3_000)
const VERIFY_EVENTS = Number(process.env.BENCH_VERIFY_EVENTS ?? 200_000)
const CONCURRENCY = 2_000

const base = process.env.CALLWARDEN_BENCH_DATABASE_URL ?? process.env.CALLWARDEN_TEST_MYSQL_URL
if (base === undefined) {
  console.error('set CALLWARDEN_TEST_MYSQL_URL (see the header of this file)')
  process.exit(2)
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000)
const event = (i: number) => ({
  tenantId: 'bench',
  actor: { id: `agent-${i % 50}`, role: 'agent', sourceAddress: '10.1.2.3' },
  action: i % 3 === 0 ? 'recording.play' : 'agent.status.change',
  target: { type: 'call', id: `call-${i}` },
  outcome: 'success' as const,
  details: { skillGroup: 'sales', durationS: i % 600 },
})

async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(base!)
  const name = `${url.pathname.slice(1)}_bench_${process.pid}`
  const admin = await createConnection({ uri: base! })
  await admin.query(`drop database if exists \`${name}\``)
  await admin.query(`create database \`${name}\``)
  await admin.end()
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = await createConnection({ uri: base! })
      await c.query(`drop database if exists \`${name}\``)
      await c.end()
    },
  }
}

async function appendAll(log: AuditLog, tenantId: string, n: number, concurrency: number): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await log.append({ ...event(next++), tenantId })
    }),
  )
  return performance.now() - started
}

const fresh = await freshDatabase()
const database = openDatabase(fresh.url, { poolSize: 8 })
const dir = await mkdtemp(join(tmpdir(), 'cw-bench-'))
try {
  await migrate(database, { referenceSchema: false })
  console.log(`database: ${database.displayUrl}`)

  // 1. Append, to registered tenants, asking the registry as createCallwarden() does.
  const tenants = new TenantRegistry(database.db)
  for (const id of ['warmup', 'bench', 'single']) await tenants.create({ id, name: id })
  const isRegistered = (id: string, db?: Parameters<TenantRegistry['isRegistered']>[1]) =>
    tenants.isRegistered(id, db)
  const grouped = new AuditLog({ db: database.db, dialect: database.dialect, maxBatch: 1000, isRegistered })
  await appendAll(grouped, 'warmup', 2_000, 200)
  const groupedMs = await appendAll(grouped, 'bench', APPEND_EVENTS, CONCURRENCY)
  const single = new AuditLog({ db: database.db, dialect: database.dialect, maxBatch: 1, isRegistered })
  const singleMs = await appendAll(single, 'single', BASELINE_EVENTS, CONCURRENCY)
  console.log(
    `append, group commit (maxBatch 1000, ${CONCURRENCY} concurrent callers): ${APPEND_EVENTS} events in ${Math.round(groupedMs)} ms = ${rate(APPEND_EVENTS, groupedMs)} events/s`,
  )
  console.log(
    `append, baseline one transaction per event (maxBatch 1): ${BASELINE_EVENTS} events in ${Math.round(singleMs)} ms = ${rate(BASELINE_EVENTS, singleMs)} events/s`,
  )
  console.log(
    `  ratio group commit / baseline: ${(rate(APPEND_EVENTS, groupedMs) / rate(BASELINE_EVENTS, singleMs)).toFixed(1)}x`,
  )

  // 2. Verify a bundle offline.
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const trail = new AuditTrail({
    db: database.db,
    dialect: database.dialect,
    leases: new LeaseManager(database.db, { owner: 'bench' }),
    isRegistered,
    keys: { signingKey: { ...(await exportJWK(privateKey)), kid: 'bench' } },
    checkpoint: { everyEvents: 10_000 },
  })
  if (VERIFY_EVENTS > APPEND_EVENTS)
    await appendAll(grouped, 'bench', VERIFY_EVENTS - APPEND_EVENTS, CONCURRENCY)
  // Signing checkpoints (every 10,000 events): read and re-verify each range, build its
  // Merkle root, sign, store.
  const checkpointStarted = performance.now()
  const signed = await trail.checkpoint('bench', { force: true })
  const checkpointMs = performance.now() - checkpointStarted
  console.log(
    `checkpoint: ${signed.created.length} checkpoints over ${VERIFY_EVENTS} events in ${Math.round(checkpointMs)} ms = ${Math.round(checkpointMs / Math.max(1, signed.created.length))} ms per checkpoint of 10,000 events`,
  )
  const file = join(dir, 'bench.zip')
  await (await trail.exportBundle({ tenantId: 'bench' })).writeTo(file)
  const bundle = await readBundle(file)
  const n = bundle.events.length
  console.log(
    `bundle: ${n} events, ${bundle.checkpoints.length} checkpoints, ${(await stat(file)).size} bytes`,
  )

  const best = async (runs: number, fn: () => unknown | Promise<unknown>) => {
    let min = Infinity
    for (let r = 0; r < runs; r++) {
      const t = performance.now()
      await fn()
      min = Math.min(min, performance.now() - t)
    }
    return min
  }
  const canonical = bundle.events.map((e) => e.canonical)
  const bareMs = await best(5, () => {
    let prev = '0'.repeat(64)
    for (const c of canonical) prev = hash('sha256', prev + c)
    return prev
  })
  // Chain, checkpoints (signatures, heads, Merkle roots) and manifest, events in memory.
  const { verifyChain } = await import('../dist/audit/audit-verifier.js')
  const jwks = await trail.jwks()
  const coreMs = await best(5, () =>
    verifyChain({
      tenantId: 'bench',
      source: 'bundle',
      jwks,
      checkpoints: bundle.checkpoints,
      records: bundle.events,
      startSeq: 1,
      expectedLastSeq: n,
      expectedHeadHash: bundle.events[n - 1]!.hash,
      expectedLastCheckpoint: bundle.checkpoints.length,
      purgedThroughSeq: 0,
    }),
  )
  // The whole offline command: unzip, split lines, verify.
  const fileMs = await best(3, async () => {
    const report = await verifyBundle(file, { jwks })
    if (!report.ok) throw new Error('the bench bundle does not verify')
  })
  // Online: read the events from the database in pages, check key columns, chain, checkpoints.
  let online = 0
  const onlineMs = await best(3, async () => {
    const report = await trail.verify({ tenantId: 'bench' })
    if (!report.ok) throw new Error('the bench trail does not verify online')
    online = report.eventsChecked
  })
  console.log(`verify, baseline bare crypto.hash chain loop (in memory): ${rate(n, bareMs)} events/s`)
  console.log(
    `verify, chain + checkpoints + Merkle roots (in memory): ${rate(n, coreMs)} events/s = ${(bareMs / coreMs).toFixed(2)} of the baseline`,
  )
  console.log(
    `verify, whole bundle file (unzip + split + verify): ${rate(n, fileMs)} events/s = ${(bareMs / fileMs).toFixed(2)} of the baseline`,
  )
  console.log(
    `verify, online from MariaDB (paged reads + key columns + verify): ${rate(online, onlineMs)} events/s = ${(rate(online, onlineMs) / rate(n, bareMs)).toFixed(2)} of the baseline`,
  )
  await trail.close()
} finally {
  await database.close()
  await fresh.drop()
  await rm(dir, { recursive: true, force: true })
}
