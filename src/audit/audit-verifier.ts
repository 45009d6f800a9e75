/**
 * Verification of a tenant's chain and checkpoints, shared by the online check (against
 * the database) and the offline one (against an exported bundle). It finds the first bad
 * sequence number and names the damage:
 *
 * - `event-modified` — an event's content does not match its hash, or its key columns do not
 *   match its content; or a signed checkpoint's head hash or Merkle root does not match its
 *   range although every link does (the chain was rewritten and re-hashed from some event
 *   on). For a version 3 checkpoint the first event whose chain hash, recomputed from the
 *   stored contents, differs from the signed hash list is named; for version 1 and 2
 *   checkpoints, which sign their range only as a whole, the range's first event;
 * - `event-deleted` — a sequence number is missing; or (online) events were removed as
 *   purged beyond what the last `purge.run` event records;
 * - `event-inserted` — an event repeats a sequence number, or lies beyond the head;
 * - `event-reordered` — events appear out of sequence order;
 * - `events-truncated` — the chain ends before its head (or a signed checkpoint) says;
 * - `checkpoint-forged` — a checkpoint is not signed by a trusted key, or names another tenant;
 * - `checkpoint-altered` — a checkpoint's signature does not match its content, or its stored
 *   columns (a version 3 checkpoint's hash list included) do not match what it signed;
 * - `checkpoint-missing` — a checkpoint number is skipped, or a checkpoint's link to the
 *   previous one's signature is broken;
 * - `manifest-altered` — (bundle) the unsigned `manifest.json` differs from the signed manifest.
 *
 * Events after the last checkpoint are protected by their chain only (and, in a bundle, by
 * the signed manifest) until the next checkpoint signs them.
 *
 * @module
 */
import { chainHash } from './audit-chain.js'
import {
  anchorKey,
  asCheckpointPayload,
  CHECKPOINT_JWS_TYPE,
  jwsSignature,
  hashesDigest,
  merkleTreeVersion,
  type CheckpointPayload,
} from './audit-checkpoint.js'
import { verifyJws, type AuditJwks } from './audit-keys.js'
import { checkpointMerkleRoot } from './merkle-tree.js'

/** The kinds of damage verification reports. */
export const AUDIT_DAMAGE_KINDS = [
  'event-modified',
  'event-deleted',
  'event-inserted',
  'event-reordered',
  'events-truncated',
  'checkpoint-forged',
  'checkpoint-altered',
  'checkpoint-missing',
  'manifest-altered',
] as const
/** One kind of damage. */
export type AuditDamageKind = (typeof AUDIT_DAMAGE_KINDS)[number]

/** One problem verification found. */
export interface AuditProblem {
  readonly kind: AuditDamageKind
  /** The first sequence number the problem makes untrustworthy. */
  readonly seq: number
  /** The checkpoint concerned, for checkpoint problems. */
  readonly checkpoint?: number
  readonly message: string
}

/** A range of sequence numbers. */
export interface SeqRange {
  readonly fromSeq: number
  readonly toSeq: number
}

/** What verification found. */
export interface AuditVerifyReport {
  readonly ok: boolean
  readonly tenantId: string
  readonly source: 'database' | 'bundle'
  /** Events whose chain was checked. */
  readonly eventsChecked: number
  readonly firstSeq: number
  readonly lastSeq: number
  readonly checkpointsChecked: number
  /** The last sequence number covered by a valid signed checkpoint (0 when none). */
  readonly signedThroughSeq: number
  /** Ranges removed by retention, each ending at a signed checkpoint. */
  readonly purged: readonly SeqRange[]
  /** The problem with the lowest sequence number. */
  readonly firstBad?: { readonly seq: number; readonly kind: AuditDamageKind }
  readonly problems: readonly AuditProblem[]
}

/** One stored event as verification sees it. @internal */
export interface ChainRecord {
  /** The event's canonical JSON, exactly as hashed. */
  readonly canonical: string
  /** The hash stored with it. */
  readonly hash: string
  /** Its sequence number, when already known (parsed lazily from `canonical` otherwise). */
  seq?: number
  /** False when the stored key columns disagree with the content. */
  readonly columnsOk?: boolean
}

/**
 * What is stored next to a checkpoint's JWS (database columns, or the fields of a bundle's
 * `checkpoints.jsonl` line): copies of what it signed, each checked against it.
 *
 * @internal
 */
export interface CheckpointColumns extends Partial<
  Pick<CheckpointPayload, 'n' | 'fromSeq' | 'toSeq' | 'headHash' | 'merkleRoot'>
> {
  /** The signing key's id (the JWS header's `kid`). */
  readonly kid?: string
  /** When it was signed, in milliseconds (the payload's `issuedAt`). */
  readonly createdAt?: number
  /** Where it is anchored: `null`, or {@link anchorKey} of its tenant and number. */
  readonly anchorKey?: string | null
}

/**
 * Where verification reads the hash lists of version 3 checkpoints (32 bytes per chain hash,
 * in sequence order). A list is trusted only when it has the digest its checkpoint signed.
 * Lists are asked for in increasing checkpoint number, each once per pass.
 *
 * @internal
 */
export interface HashListSource {
  /**
   * The copy stored next to checkpoint `n` (database column, bundle entry), `bytes` long when
   * intact (a reader may stop after that many); `undefined` when absent.
   */
  stored(n: number, bytes: number): Promise<Uint8Array | undefined>
  /** Another copy (the anchor object), read only when the stored one does not match. */
  other?(n: number): Promise<Uint8Array | undefined>
}

/** One checkpoint as verification sees it. @internal */
export interface CheckpointRecord {
  readonly jws: string
  /** The stored copies of what it signed. */
  readonly columns?: CheckpointColumns
}

/** What {@link verifyChain} is given. @internal */
export interface ChainInput {
  readonly tenantId: string
  readonly source: 'database' | 'bundle'
  readonly jwks: AuditJwks
  /** Every checkpoint of the tenant, in number order. */
  readonly checkpoints: readonly CheckpointRecord[]
  /** The events to check, in stored order, starting at `startSeq`. */
  readonly records: readonly ChainRecord[]
  readonly startSeq: number
  /** The last sequence number the chain must reach (the head, or a bundle's end). */
  readonly expectedLastSeq: number
  /** The hash the last event must have, when known from a trusted place. */
  readonly expectedHeadHash?: string
  /** The last checkpoint number that must be present, when known from a trusted place. */
  readonly expectedLastCheckpoint?: number
  readonly purgedThroughSeq: number
  /**
   * True when the events run from just after the purged range to the head: then a purge
   * must be recorded among them, by a `purge.run` event whose `details.purgedThroughSeq`
   * reaches `purgedThroughSeq`.
   */
  readonly checkPurgeRecord?: boolean
  /** Extra problems the caller found (anchors, manifest). */
  readonly extraProblems?: readonly AuditProblem[]
  /**
   * The hash lists of version 3 checkpoints. Without it (a caller that has none) their lists
   * are not checked and damage inside their ranges is located as for version 2.
   */
  readonly hashLists?: HashListSource
}

/** Verifies checkpoints and events. @internal */
export async function verifyChain(input: ChainInput): Promise<AuditVerifyReport> {
  const problems: AuditProblem[] = [...(input.extraProblems ?? [])]
  const valid = await checkCheckpoints(input, problems)
  const signedThroughSeq = valid.length === 0 ? 0 : valid[valid.length - 1]!.toSeq

  // Where the checked events start: genesis, or the head of the checkpoint retention kept.
  let startPrev = '0'.repeat(64)
  if (input.startSeq > 1) {
    const anchor = valid.find((c) => c.toSeq === input.startSeq - 1)
    if (anchor === undefined) {
      problems.push({
        kind: 'checkpoint-missing',
        seq: input.startSeq - 1,
        message: `no valid signed checkpoint ends at ${input.startSeq - 1}, where the checked events begin`,
      })
    } else startPrev = anchor.headHash
  }
  const lists = await trustedHashLists(input, valid)
  const eventProblem = checkEvents(input, valid, startPrev, lists.trusted)
  if (eventProblem !== undefined) problems.push(eventProblem)
  // After the event problem: at the same sequence number, the damaged event is named first.
  problems.push(...lists.problems)
  if (input.checkPurgeRecord === true) {
    let recorded = 0
    for (const r of input.records) recorded = Math.max(recorded, recordedPurge(r))
    const purgeProblem = unrecordedPurge(input, recorded)
    if (purgeProblem !== undefined) problems.push(purgeProblem)
  }

  problems.sort((a, b) => a.seq - b.seq)
  const first = problems[0]
  const records = input.records
  return {
    ok: problems.length === 0,
    tenantId: input.tenantId,
    source: input.source,
    eventsChecked: records.length,
    firstSeq: input.startSeq,
    lastSeq: input.startSeq + records.length - 1,
    checkpointsChecked: input.checkpoints.length,
    signedThroughSeq,
    purged: input.purgedThroughSeq > 0 ? [{ fromSeq: 1, toSeq: input.purgedThroughSeq }] : [],
    ...(first === undefined ? {} : { firstBad: { seq: first.seq, kind: first.kind } }),
    problems,
  }
}

/**
 * What {@link verifyChainPaged} is given: a {@link ChainInput} whose events come in pages
 * (read once, in sequence order) instead of an array.
 *
 * @internal
 */
export interface PagedChainInput extends Omit<ChainInput, 'records'> {
  readonly pages: AsyncIterable<readonly ChainRecord[]>
}

/**
 * Verifies an intact trail in one pass over pages of events, holding one page and one
 * checkpoint's leaves at a time, so memory does not grow with the chain. Returns the report
 * when everything verifies; returns `undefined` as soon as anything does not (a checkpoint
 * problem, a broken link, a sequence number or key column out of place, a signed head or
 * Merkle root that does not match, a count that differs), and the caller then runs
 * {@link verifyChain} over all events to name the damage.
 *
 * @internal
 */
export async function verifyChainPaged(input: PagedChainInput): Promise<AuditVerifyReport | undefined> {
  const problems: AuditProblem[] = [...(input.extraProblems ?? [])]
  const valid = await checkCheckpoints(input, problems)
  if (problems.length > 0) return undefined
  let prev = '0'.repeat(64)
  if (input.startSeq > 1) {
    const anchor = valid.find((c) => c.toSeq === input.startSeq - 1)
    if (anchor === undefined) return undefined
    prev = anchor.headHash
  }
  // The signed checkpoints the events must match, in order; the first may not start
  // before the checked events do.
  const due = valid.filter((c) => c.toSeq >= input.startSeq)
  if (due.length > 0 && due[0]!.fromSeq < input.startSeq) return undefined
  let next = 0
  let leaves: string[] = []
  let seq = input.startSeq
  let last: ChainRecord | undefined
  let recorded = 0
  for await (const page of input.pages) {
    for (const r of page) {
      if (r.columnsOk === false || chainHash(prev, r.canonical) !== r.hash) return undefined
      if (input.source === 'database' && seqOf(r) !== seq) return undefined
      if (input.checkPurgeRecord === true) recorded = Math.max(recorded, recordedPurge(r))
      const c = due[next]
      if (c !== undefined && seq >= c.fromSeq) {
        leaves.push(r.hash)
        if (seq === c.toSeq) {
          if (r.hash !== c.headHash || checkpointMerkleRoot(leaves, merkleTreeVersion(c.v)) !== c.merkleRoot)
            return undefined
          // The hash list stored beside a version 3 checkpoint is one more copy of what it signed.
          if (input.hashLists !== undefined && c.hashesDigest !== undefined) {
            const list = await input.hashLists.stored(c.n, 32 * (c.toSeq - c.fromSeq + 1))
            if (list === undefined || hashesDigest(list) !== c.hashesDigest) return undefined
          }
          leaves = []
          next += 1
        }
      }
      prev = r.hash
      last = r
      seq += 1
    }
  }
  const n = seq - input.startSeq
  if (n === 0 || n !== input.expectedLastSeq - input.startSeq + 1 || next !== due.length) return undefined
  if (input.expectedHeadHash !== undefined && last!.hash !== input.expectedHeadHash) return undefined
  if (input.checkPurgeRecord === true && unrecordedPurge(input, recorded) !== undefined) return undefined
  return {
    ok: true,
    tenantId: input.tenantId,
    source: input.source,
    eventsChecked: n,
    firstSeq: input.startSeq,
    lastSeq: input.startSeq + n - 1,
    checkpointsChecked: input.checkpoints.length,
    signedThroughSeq: valid.length === 0 ? 0 : valid[valid.length - 1]!.toSeq,
    purged: input.purgedThroughSeq > 0 ? [{ fromSeq: 1, toSeq: input.purgedThroughSeq }] : [],
    problems: [],
  }
}

async function checkCheckpoints(
  input: Omit<ChainInput, 'records'>,
  problems: AuditProblem[],
): Promise<CheckpointPayload[]> {
  const valid: CheckpointPayload[] = []
  let expectedN = 1
  let expectedFrom = 1
  // The previous checkpoint's signature; undefined after one that did not verify, whose
  // successor's link then cannot be judged.
  let prevSignature: string | null | undefined = null
  for (const record of input.checkpoints) {
    const claimed = asCheckpointPayload(unverifiedPayload(record.jws)) ?? record.columns
    const n = claimed?.n ?? expectedN
    const at = claimed?.fromSeq ?? expectedFrom
    if (n > expectedN) {
      problems.push({
        kind: 'checkpoint-missing',
        seq: expectedFrom,
        checkpoint: expectedN,
        message: `checkpoint${n - expectedN > 1 ? `s ${expectedN}..${n - 1} are` : ` ${expectedN} is`} missing`,
      })
    }
    const result = await verifyJws(record.jws, CHECKPOINT_JWS_TYPE, input.jwks)
    const payload = result.ok ? asCheckpointPayload(result.payload) : undefined
    if (!result.ok || payload === undefined) {
      problems.push({
        kind: result.ok
          ? 'checkpoint-altered'
          : result.problem === 'forged'
            ? 'checkpoint-forged'
            : 'checkpoint-altered',
        seq: at,
        checkpoint: n,
        message: `checkpoint ${n}: ${result.ok ? 'the signed payload is not a checkpoint' : result.detail}`,
      })
    } else if (payload.tenantId !== input.tenantId) {
      problems.push({
        kind: 'checkpoint-forged',
        seq: at,
        checkpoint: n,
        message: `checkpoint ${n} is signed for tenant '${payload.tenantId}'`,
      })
    } else if (record.columns !== undefined && !sameColumns(record.columns, payload, result.kid)) {
      problems.push({
        kind: 'checkpoint-altered',
        seq: at,
        checkpoint: n,
        message: `checkpoint ${n}: what is stored next to it differs from what it signed`,
      })
    } else if (
      payload.n > 1 &&
      payload.n === expectedN &&
      prevSignature !== undefined &&
      (payload.prevSignature !== prevSignature || payload.fromSeq !== expectedFrom)
    ) {
      problems.push({
        kind: 'checkpoint-missing',
        seq: Math.min(payload.fromSeq, expectedFrom),
        checkpoint: payload.n - 1,
        message: `checkpoint ${payload.n} does not follow checkpoint ${payload.n - 1} as stored (its signed link differs): the original is missing`,
      })
    } else {
      valid.push(payload)
    }
    prevSignature = valid[valid.length - 1]?.n === n ? jwsSignature(record.jws) : undefined
    expectedN = n + 1
    expectedFrom = (payload?.toSeq ?? claimed?.toSeq ?? at) + 1
  }
  if (input.expectedLastCheckpoint !== undefined && input.expectedLastCheckpoint >= expectedN) {
    problems.push({
      kind: 'checkpoint-missing',
      seq: expectedFrom,
      checkpoint: expectedN,
      message: `checkpoints ${expectedN}..${input.expectedLastCheckpoint} are missing`,
    })
  }
  return valid
}

/** The version 3 checkpoints whose ranges lie among the checked events. */
function listedCheckpoints(
  input: Omit<ChainInput, 'records'>,
  valid: readonly CheckpointPayload[],
): CheckpointPayload[] {
  return valid.filter(
    (c) => c.hashesDigest !== undefined && c.fromSeq >= input.startSeq && c.toSeq <= input.expectedLastSeq,
  )
}

/**
 * The hash lists that have their checkpoint's signed digest, by checkpoint number, and a
 * `checkpoint-altered` problem for each stored copy that is absent or does not have it (then
 * the other copy, when there is one, may still be trusted). The problem is placed at the
 * first hash where the stored copy differs from the trusted one, when that is known.
 */
async function trustedHashLists(
  input: ChainInput,
  valid: readonly CheckpointPayload[],
): Promise<{ trusted: Map<number, Buffer>; problems: AuditProblem[] }> {
  const trusted = new Map<number, Buffer>()
  const problems: AuditProblem[] = []
  const source = input.hashLists
  if (source === undefined) return { trusted, problems }
  const fits = (c: CheckpointPayload, list: Uint8Array | undefined): boolean =>
    list !== undefined &&
    list.length === 32 * (c.toSeq - c.fromSeq + 1) &&
    hashesDigest(list) === c.hashesDigest
  for (const c of listedCheckpoints(input, valid)) {
    const stored = await source.stored(c.n, 32 * (c.toSeq - c.fromSeq + 1))
    if (fits(c, stored)) {
      trusted.set(c.n, Buffer.from(stored!))
      continue
    }
    const other = await source.other?.(c.n)
    let seq = c.fromSeq
    if (other !== undefined && fits(c, other)) {
      trusted.set(c.n, Buffer.from(other))
      if (stored !== undefined) {
        let k = 0
        const same = (a: Uint8Array, b: Uint8Array) =>
          Buffer.compare(a.subarray(32 * k, 32 * k + 32), b.subarray(32 * k, 32 * k + 32)) === 0
        while (k < other.length / 32 && same(stored, other)) k += 1
        seq = c.fromSeq + k
      }
    }
    problems.push({
      kind: 'checkpoint-altered',
      seq,
      checkpoint: c.n,
      message: `checkpoint ${c.n}: the hash list stored next to it ${stored === undefined ? 'is missing' : 'does not have the digest it signed'}`,
    })
  }
  return { trusted, problems }
}

function checkEvents(
  input: ChainInput,
  valid: readonly CheckpointPayload[],
  startPrev: string,
  lists: ReadonlyMap<number, Buffer>,
): AuditProblem | undefined {
  const records = input.records
  const n = records.length
  const linkOk = new Uint8Array(n)
  let prev = startPrev
  let allLinked = true
  for (let i = 0; i < n; i++) {
    const r = records[i]!
    const ok = chainHash(prev, r.canonical) === r.hash && r.columnsOk !== false
    linkOk[i] = ok ? 1 : 0
    if (!ok) allLinked = false
    prev = r.hash
  }
  const expectedCount = input.expectedLastSeq - input.startSeq + 1
  const mismatch = checkpointMismatch(input, valid)
  const headOk =
    input.expectedHeadHash === undefined || (n > 0 && records[n - 1]!.hash === input.expectedHeadHash)
  // The fast path: every link holds, the count is right and every signed head and Merkle root
  // matches at its position. Signed hashes commit to every event, sequence numbers included,
  // so no event needs to be parsed.
  if (allLinked && n === expectedCount && mismatch === undefined && headOk && n === 0) return undefined
  if (allLinked && n === expectedCount && mismatch === undefined && headOk) {
    if (input.source === 'bundle') return undefined
    // The database gave each row's own sequence number: confirm them too.
    if (records.every((r, i) => seqOf(r) === input.startSeq + i)) return undefined
  }
  return classify(input, linkOk, mismatch, valid, (c) => firstUnlike(input, c, valid, startPrev, lists))
}

/** The first checkpoint whose head or Merkle root does not match the events at its position. */
function checkpointMismatch(
  input: ChainInput,
  valid: readonly CheckpointPayload[],
): CheckpointPayload | undefined {
  const records = input.records
  for (const c of valid) {
    if (c.toSeq < input.startSeq) continue
    const end = c.toSeq - input.startSeq
    const start = c.fromSeq - input.startSeq
    if (start < 0 || end >= records.length) return c
    if (records[end]!.hash !== c.headHash) return c
    const leaves: string[] = []
    for (let i = start; i <= end; i++) leaves.push(records[i]!.hash)
    if (checkpointMerkleRoot(leaves, merkleTreeVersion(c.v)) !== c.merkleRoot) return c
  }
  return undefined
}

/**
 * The first sequence number of checkpoint `c`'s range whose event differs from what `c`
 * signed, by its trusted hash list: whose chain hash recomputed from the stored contents
 * (from the signed hash before the range), or whose stored hash or key columns, do not match
 * the list. `undefined` without a trusted list, or when nothing differs.
 */
function firstUnlike(
  input: ChainInput,
  c: CheckpointPayload,
  valid: readonly CheckpointPayload[],
  startPrev: string,
  lists: ReadonlyMap<number, Buffer>,
): number | undefined {
  const list = lists.get(c.n)
  if (list === undefined) return undefined
  const records = input.records
  const start = c.fromSeq - input.startSeq
  let prev =
    c.fromSeq === input.startSeq
      ? startPrev
      : (valid.find((p) => p.toSeq === c.fromSeq - 1)?.headHash ?? records[start - 1]?.hash)
  if (prev === undefined) return undefined
  const signed = list.toString('hex')
  for (let k = 0; k <= c.toSeq - c.fromSeq; k++) {
    const r = records[start + k]
    const hash = signed.slice(64 * k, 64 * k + 64)
    if (r === undefined || r.columnsOk === false || r.hash !== hash) return c.fromSeq + k
    const recomputed = chainHash(prev, r.canonical)
    if (recomputed !== hash) return c.fromSeq + k
    prev = recomputed
  }
  return undefined
}

function classify(
  input: ChainInput,
  linkOk: Uint8Array,
  mismatch: CheckpointPayload | undefined,
  valid: readonly CheckpointPayload[],
  locate: (c: CheckpointPayload) => number | undefined,
): AuditProblem | undefined {
  const records = input.records
  const seqs = records.map(seqOf)
  const last = input.expectedLastSeq
  const counts = new Map<number, number>()
  for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1)
  let e = input.startSeq
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i]!
    if (s === e && s <= last && counts.get(s) === 1) {
      if (linkOk[i] === 0) {
        // The events before this one link, yet a signed range that begins before it does not
        // match: stored hashes before it were rewritten too. A version 3 checkpoint's hash
        // list names the first of them; a version 1 or 2 root commits to its range only as a
        // whole, so the damage is known to begin no later than the range.
        const located = mismatch !== undefined && mismatch.fromSeq < s ? locate(mismatch) : undefined
        if (located !== undefined && located < s) {
          return {
            kind: 'event-modified',
            seq: located,
            message: `event ${located} differs from what signed checkpoint ${mismatch!.n} lists (the chain was rewritten from there; event ${s} does not match its hash)`,
          }
        }
        if (
          mismatch !== undefined &&
          mismatch.fromSeq < s &&
          mismatch.fromSeq >= input.startSeq &&
          !matchesWithRelinkedTail(input, mismatch, i)
        ) {
          return {
            kind: 'event-modified',
            seq: mismatch.fromSeq,
            message: `event ${s} does not match its hash, and events ${mismatch.fromSeq}..${s - 1} before it, which link, do not match signed checkpoint ${mismatch.n}: the chain was rewritten from within that range`,
          }
        }
        return { kind: 'event-modified', seq: s, message: `event ${s} does not match its hash` }
      }
      e += 1
      continue
    }
    if (s === e && s <= last && linkOk[i] === 1) {
      // A repeated number: this copy links correctly, so a later one is the intruder.
      e += 1
      continue
    }
    if (s < e || s > last || (counts.get(s) ?? 0) > 1 || Number.isNaN(s)) {
      return {
        kind: 'event-inserted',
        seq: Number.isNaN(s) ? e : Math.min(s, e),
        message: `an event that does not belong to the chain appears where ${e} is expected (it says ${Number.isNaN(s) ? 'no number' : s})`,
      }
    }
    // s > e: e is not here.
    if (seqs.indexOf(e, i + 1) !== -1) {
      return { kind: 'event-reordered', seq: e, message: `event ${e} appears after event ${s}` }
    }
    return { kind: 'event-deleted', seq: e, message: `event ${e} is missing (the next one present is ${s})` }
  }
  const signedEnd = valid.length === 0 ? 0 : valid[valid.length - 1]!.toSeq
  if (e <= Math.max(last, signedEnd)) {
    return {
      kind: 'events-truncated',
      seq: e,
      message: `the chain ends at ${e - 1}, but ${e <= last ? `its head is ${last}` : `checkpoint ${valid[valid.length - 1]!.n} signs up to ${signedEnd}`}`,
    }
  }
  if (mismatch !== undefined) {
    const located = locate(mismatch)
    if (located !== undefined) {
      return {
        kind: 'event-modified',
        seq: located,
        message: `events link correctly, but event ${located} differs from what signed checkpoint ${mismatch.n} lists: the chain was rewritten and re-hashed from there`,
      }
    }
    return {
      kind: 'event-modified',
      seq: mismatch.fromSeq,
      message: `events ${mismatch.fromSeq}..${mismatch.toSeq} link correctly but do not match signed checkpoint ${mismatch.n}: the chain was rewritten within that range`,
    }
  }
  return {
    kind: 'event-modified',
    seq: Math.max(input.startSeq, e - 1),
    message: `the last event's hash differs from the signed head`,
  }
}

/**
 * True when checkpoint `c` matches the events if the stored hashes from position `i` on are
 * replaced by the ones their content links to: then the events are as signed and only
 * stored hashes from `i` on were overwritten, so the damage begins at `i`.
 */
function matchesWithRelinkedTail(input: ChainInput, c: CheckpointPayload, i: number): boolean {
  const records = input.records
  const start = c.fromSeq - input.startSeq
  const end = c.toSeq - input.startSeq
  if (start < 0 || i <= start || end >= records.length) return false
  const leaves: string[] = []
  let prev = records[i - 1]!.hash
  for (let k = start; k <= end; k++) {
    if (k < i) leaves.push(records[k]!.hash)
    else leaves.push((prev = chainHash(prev, records[k]!.canonical)))
  }
  return (
    leaves[leaves.length - 1] === c.headHash &&
    checkpointMerkleRoot(leaves, merkleTreeVersion(c.v)) === c.merkleRoot
  )
}

// An event's canonical JSON starts with its first member, `action`.
const PURGE_RUN_PREFIX = '{"action":"purge.run",'

/** The `purgedThroughSeq` a `purge.run` event records; 0 for any other event. */
function recordedPurge(record: ChainRecord): number {
  if (!record.canonical.startsWith(PURGE_RUN_PREFIX)) return 0
  try {
    const through = (JSON.parse(record.canonical) as { details?: { purgedThroughSeq?: unknown } }).details
      ?.purgedThroughSeq
    return Number.isSafeInteger(through) ? (through as number) : 0
  } catch {
    return 0
  }
}

/** The problem when the purged range reaches beyond what `purge.run` events record. */
function unrecordedPurge(
  input: Pick<ChainInput, 'purgedThroughSeq'>,
  recorded: number,
): AuditProblem | undefined {
  if (input.purgedThroughSeq <= recorded) return undefined
  return {
    kind: 'event-deleted',
    seq: recorded + 1,
    message: `events ${recorded + 1}..${input.purgedThroughSeq} are gone as purged, but no purge.run event records a purge through ${input.purgedThroughSeq}`,
  }
}

function seqOf(record: ChainRecord): number {
  if (record.seq === undefined) {
    try {
      const seq = (JSON.parse(record.canonical) as { seq?: unknown }).seq
      record.seq = Number.isSafeInteger(seq) ? (seq as number) : Number.NaN
    } catch {
      record.seq = Number.NaN
    }
  }
  return record.seq
}

/** True when every stored copy present in `columns` equals what the checkpoint signed. */
function sameColumns(columns: CheckpointColumns, payload: CheckpointPayload, kid: string): boolean {
  const same = <T>(stored: T | undefined, signed: T) => stored === undefined || stored === signed
  return (
    same(columns.n, payload.n) &&
    same(columns.fromSeq, payload.fromSeq) &&
    same(columns.toSeq, payload.toSeq) &&
    same(columns.headHash, payload.headHash) &&
    same(columns.merkleRoot, payload.merkleRoot) &&
    same(columns.kid, kid) &&
    same(columns.createdAt, Date.parse(payload.issuedAt)) &&
    (columns.anchorKey == null || columns.anchorKey === anchorKey(payload.tenantId, payload.n))
  )
}

function unverifiedPayload(jws: string): unknown {
  try {
    return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}
