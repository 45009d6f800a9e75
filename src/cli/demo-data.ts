/**
 * Realistic synthetic contact-center data for the demo and tests: service records spread
 * over the last twelve months (so retention has expired rows to find), recordings for recent
 * connected calls, IVR inputs, agents, agent state logs and operation logs.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { BlobStore } from '../blob/blob-store.js'
import {
  INBOUND_ACCESS_STATUSES,
  OUTBOUND_ACCESS_STATUSES,
  SATISFACTION_VALUES,
} from '../store/reference-schema.js'
import type { TenantScope } from '../store/tenant-scope.js'

/** How much to seed. */
export interface SeedOptions {
  /** @defaultValue 3000 */
  readonly serviceRecords?: number
  /** Recordings are stored for this many of the most recent connected calls. @defaultValue 50 */
  readonly recordings?: number
  /** @defaultValue 12 */
  readonly agents?: number
  /** Seed of the pseudo-random generator, for reproducible data. @defaultValue 1 */
  readonly seed?: number
}

/** What {@link seedDemoData} wrote. */
export interface SeedReport {
  readonly serviceRecords: number
  readonly olderThanSixMonths: number
  readonly recordings: number
  readonly ivrInputs: number
  readonly agents: number
  readonly agentStateLogs: number
  readonly operationLogs: number
}

const DAY = 86_400_000
const SURNAMES = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Xu', 'Sun']
const GIVEN = ['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Lei', 'Jun', 'Yan', 'Tao', 'Ping', 'Hui', 'Qiang']
const SKILL_GROUPS = ['after-sales', 'billing', 'vip', 'technical-support']
const MOBILE_PREFIXES = ['139', '138', '137', '186', '189', '158', '177', '150']
const REMARKS = [
  'asked about delivery date',
  'refund requested, ticket opened',
  'billing question resolved',
  'called back as promised',
  null,
  null,
]

/**
 * Seeds one tenant with demo data through its scope.
 *
 * @example
 * ```ts
 * const report = await seedDemoData(cw.scope('demo-1'), cw.blobs, new Date())
 * ```
 */
export async function seedDemoData(
  scope: TenantScope,
  blobs: BlobStore,
  now: Date,
  options: SeedOptions = {},
): Promise<SeedReport> {
  const random = mulberry32(options.seed ?? 1)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const nowMs = now.getTime()
  const mobile = (): string =>
    `+86${pick(MOBILE_PREFIXES)}${String(Math.floor(random() * 1e8)).padStart(8, '0')}`
  const serviceNumber = '+862088886666'

  const agents = Array.from({ length: options.agents ?? 12 }, (_, i) => {
    const name = `${pick(SURNAMES)} ${pick(GIVEN)}`
    return {
      staff_id: `A${String(1001 + i)}`,
      name,
      nickname: name.split(' ')[1]!,
      phone: mobile(),
      email: `agent${1001 + i}@example.com`,
      status: 'enabled',
      role: i === 0 ? 'admin' : 'agent',
      skill_group: SKILL_GROUPS[i % SKILL_GROUPS.length]!,
      devices: i % 3 === 0 ? 'pc,phone' : 'pc',
      created_at: nowMs - 400 * DAY,
      updated_at: nowMs - Math.floor(random() * 30) * DAY,
    }
  })

  const records = Array.from({ length: options.serviceRecords ?? 3000 }, (_, i) => {
    const inbound = random() < 0.7
    const agent = pick(agents)
    const customer = mobile()
    const status = inbound
      ? random() < 0.75
        ? 'normal_end'
        : pick(INBOUND_ACCESS_STATUSES)
      : random() < 0.6
        ? 'unknown'
        : pick(OUTBOUND_ACCESS_STATUSES)
    const connected = status === 'normal_end' || (!inbound && status === 'unknown')
    return {
      call_id: `call-${String(i + 1).padStart(6, '0')}`,
      started_at: nowMs - Math.floor(random() * 365 * DAY),
      direction: inbound ? 'inbound' : 'outbound',
      agent_terminal: random() < 0.8 ? 'pc' : 'phone',
      caller: inbound ? customer : serviceNumber,
      callee: inbound ? serviceNumber : customer,
      remark: pick(REMARKS),
      access_status: status,
      duration_s: connected ? 20 + Math.floor(random() * 600) : 0,
      agent_name: connected ? agent.name : null,
      agent_staff_id: connected ? agent.staff_id : null,
      skill_group: agent.skill_group,
      satisfaction: connected ? pick(SATISFACTION_VALUES) : null,
      hangup_side: connected ? (random() < 0.5 ? 'agent' : 'customer') : null,
      voicemail_key: null,
    }
  })
  records.sort((a, b) => a.started_at - b.started_at)

  const ivrInputs = records
    .filter((r) => r.direction === 'inbound' && random() < 0.2)
    .map((r) => ({
      call_id: r.call_id,
      created_at: r.started_at + 5_000,
      caller: r.caller,
      variable: 'order_number',
      value: `SO${String(Math.floor(random() * 1e9)).padStart(9, '0')}`,
      value_hash: null,
    }))

  const recent = records.filter((r) => r.duration_s > 0).slice(-(options.recordings ?? 50))
  const recordings: Record<string, unknown>[] = []
  for (const r of recent) {
    const blobKey = `${scope.tenantId}/recordings/${r.call_id}.mp3`
    // A stand-in payload: the demo needs objects to exist, not to be playable.
    const body = Buffer.concat([Buffer.from('ID3'), randomBytes(1021)])
    await blobs.put(blobKey, body, { contentType: 'audio/mpeg' })
    recordings.push({
      service_record_id: null,
      call_id: r.call_id,
      created_at: r.started_at + r.duration_s * 1000,
      customer_number: r.direction === 'inbound' ? r.caller : r.callee,
      blob_key: blobKey,
      format: 'mp3',
      duration_s: r.duration_s,
      size_bytes: body.length,
    })
  }

  const states = ['online', 'busy', 'rest', 'offline']
  const stateLogs = Array.from({ length: agents.length * 40 }, () => ({
    agent_staff_id: pick(agents).staff_id,
    state: pick(states),
    created_at: nowMs - Math.floor(random() * 365 * DAY),
  }))
  const actions = ['login', 'logout', 'blacklist.add', 'ivr.update', 'role.update', 'recording.download']
  const operationLogs = Array.from({ length: 300 }, () => ({
    operator_id: pick(agents).staff_id,
    action: pick(actions),
    target: null,
    created_at: nowMs - Math.floor(random() * 365 * DAY),
  }))

  await scope.transaction(async (trx) => {
    await trx.insert('agents', agents)
    await trx.insert('service_records', records)
    await trx.insert('ivr_inputs', ivrInputs)
    await trx.insert('recordings', recordings)
    await trx.insert('agent_state_logs', stateLogs)
    await trx.insert('operation_logs', operationLogs)
  })

  return {
    serviceRecords: records.length,
    olderThanSixMonths: records.filter((r) => r.started_at < nowMs - 183 * DAY).length,
    recordings: recordings.length,
    ivrInputs: ivrInputs.length,
    agents: agents.length,
    agentStateLogs: stateLogs.length,
    operationLogs: operationLogs.length,
  }
}

/** A small, fast, seedable PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
