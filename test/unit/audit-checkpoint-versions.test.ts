/**
 * Checkpoint and Merkle tree versions: version 2 trees (leaves of up to 16 chain hashes)
 * against a reference; version 3 checkpoints (a version 2 tree and the signed digest of the
 * range's hash list); and version 1 and 2 checkpoints and proofs, which older trails and
 * bundles carry, still verifying beside version 3 ones.
 */
import { createHash, randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { chainHash, GENESIS_HASH } from '../../src/audit/audit-chain.js'
import {
  hashesDigest,
  jwsSignature,
  merkleTreeVersion,
  packHashes,
  type CheckpointPayload,
  type CheckpointVersion,
} from '../../src/audit/audit-checkpoint.js'
import { AuditKeys } from '../../src/audit/audit-keys.js'
import { verifyInclusionProof, type InclusionProof } from '../../src/audit/audit-proof.js'
import {
  verifyChain,
  verifyChainPaged,
  type ChainRecord,
  type HashListSource,
} from '../../src/audit/audit-verifier.js'
import { canonicalEvent, canonicalJson } from '../../src/audit/canonical-json.js'
import {
  checkpointMerkleRoot,
  MERKLE_LEAF_SPAN,
  merklePath,
  merkleRoot,
  merkleSpanLeaves,
} from '../../src/audit/merkle-tree.js'

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest()
/** RFC 6962's Merkle tree hash over binary leaves, written out as the RFC defines it. */
const mth = (d: Buffer[]): Buffer => {
  if (d.length === 1) return d[0]!
  let k = 1
  while (k * 2 < d.length) k *= 2
  return sha(Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k)))
}
const referenceV2 = (hashes: string[]): string => {
  const leaves: Buffer[] = []
  for (let i = 0; i < hashes.length; i += 16) {
    leaves.push(sha(Buffer.from([0]), ...hashes.slice(i, i + 16).map((h) => Buffer.from(h, 'hex'))))
  }
  return mth(leaves).toString('hex')
}
const hashesOf = (n: number) => Array.from({ length: n }, (_, i) => chainHash(GENESIS_HASH, `event ${i}`))

describe('Merkle tree version 2', () => {
  it('matches the reference for every size up to 70 and beyond one level of spans', () => {
    expect(MERKLE_LEAF_SPAN).toBe(16)
    for (const size of [...Array.from({ length: 70 }, (_, i) => i + 1), 255, 256, 257, 1000]) {
      const hashes = hashesOf(size)
      expect(checkpointMerkleRoot(hashes, 2)).toBe(referenceV2(hashes))
      expect(checkpointMerkleRoot(hashes, 2)).toBe(merkleRoot(merkleSpanLeaves(hashes)))
      expect(checkpointMerkleRoot(hashes, 1)).toBe(merkleRoot(hashes))
    }
    // The two versions never agree: a version 1 root cannot stand for a version 2 one.
    expect(checkpointMerkleRoot(hashesOf(5), 2)).not.toBe(checkpointMerkleRoot(hashesOf(5), 1))
  })
})

describe('checkpoints of all three versions', () => {
  const tenantId = 'acme'
  let keys: AuditKeys
  const records: ChainRecord[] = []
  const events: { canonical: string; prevHash: string; hash: string }[] = []

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    keys = await AuditKeys.load({ signingKey: { ...(await exportJWK(privateKey)), kid: 'k1' } })
    let prev = GENESIS_HASH
    for (let seq = 1; seq <= 90; seq++) {
      const canonical = canonicalEvent({
        v: 1,
        tenantId,
        seq,
        id: randomUUID(),
        time: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
        actor: { id: 'u-1', role: 'admin' },
        action: 'config.change',
        target: { type: 'tenant', id: tenantId },
        outcome: 'success',
      })
      const hash = chainHash(prev, canonical)
      events.push({ canonical, prevHash: prev, hash })
      records.push({ canonical, hash })
      prev = hash
    }
  })

  /** Signs checkpoints over `ranges`, each in the version given, linked as the checkpointer links them. */
  async function sign(
    ranges: [from: number, to: number, v: CheckpointVersion, root?: string][],
  ): Promise<string[]> {
    const out: string[] = []
    let prevSignature: string | null = null
    for (const [i, [fromSeq, toSeq, v, root]] of ranges.entries()) {
      const hashes = records.slice(fromSeq - 1, toSeq).map((r) => r.hash)
      const payload: CheckpointPayload = {
        v,
        tenantId,
        n: i + 1,
        fromSeq,
        toSeq,
        headHash: hashes[hashes.length - 1]!,
        merkleRoot: root ?? checkpointMerkleRoot(hashes, merkleTreeVersion(v)),
        ...(v === 3 ? { hashesDigest: hashesDigest(packHashes(hashes)) } : {}),
        prevSignature,
        issuedAt: '2026-01-02T00:00:00.000Z',
      }
      const jws = await keys.sign('cw-audit-checkpoint', canonicalJson(payload))
      prevSignature = jwsSignature(jws)
      out.push(jws)
    }
    return out
  }

  // The hash lists of version 3 checkpoints, as they were signed, by checkpoint number.
  const listsOf = (ranges: Record<number, [from: number, to: number]>): HashListSource => ({
    stored: async (n) => {
      const r = ranges[n]
      return r === undefined ? undefined : packHashes(records.slice(r[0] - 1, r[1]).map((x) => x.hash))
    },
  })

  const verify = async (jws: string[], hashLists?: HashListSource, list: ChainRecord[] = records) =>
    verifyChain({
      tenantId,
      source: 'bundle',
      jwks: keys.jwks(),
      checkpoints: jws.map((j) => ({ jws: j })),
      records: list,
      startSeq: 1,
      expectedLastSeq: records.length,
      expectedHeadHash: list[list.length - 1]!.hash,
      expectedLastCheckpoint: jws.length,
      purgedThroughSeq: 0,
      ...(hashLists === undefined ? {} : { hashLists }),
    })

  it('a trail with version 1 checkpoints followed by version 2 ones verifies', async () => {
    const report = await verify(
      await sign([
        [1, 30, 1],
        [31, 47, 1],
        [48, 80, 2],
        [81, 90, 2],
      ]),
    )
    expect(report.problems).toEqual([])
    expect(report.signedThroughSeq).toBe(90)
  })

  it('a trail with version 1, 2 and 3 checkpoints verifies', async () => {
    const report = await verify(
      await sign([
        [1, 30, 1],
        [31, 47, 2],
        [48, 80, 3],
        [81, 90, 3],
      ]),
      listsOf({ 3: [48, 80], 4: [81, 90] }),
    )
    expect(report.problems).toEqual([])
    expect(report.signedThroughSeq).toBe(90)
  })

  it('a version 3 checkpoint must sign a digest, and older ones must not', async () => {
    const [jws] = await sign([[1, 30, 2]])
    const forge = async (v: number, digest: string | undefined) => {
      const p = JSON.parse(Buffer.from(jws!.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        unknown
      >
      return keys.sign('cw-audit-checkpoint', canonicalJson({ ...p, v, hashesDigest: digest }))
    }
    for (const [v, digest] of [
      [3, undefined],
      [3, 'not hex'],
      [2, 'a'.repeat(64)],
    ] as const) {
      const report = await verify([await forge(v, digest)])
      expect(report.firstBad).toEqual({ seq: 1, kind: 'checkpoint-altered' })
    }
  })

  it('a chain re-hashed inside a signed range is named at its first changed event in version 3 only', async () => {
    // Event 60 changed, and every hash from it on recomputed.
    const rewritten = records.map((r) => ({ ...r }))
    let prev = rewritten[58]!.hash
    for (let i = 59; i < rewritten.length; i++) {
      const canonical = i === 59 ? rewritten[i]!.canonical.replace('u-1', 'u-9') : rewritten[i]!.canonical
      prev = chainHash(prev, canonical)
      rewritten[i] = { canonical, hash: prev }
    }
    const ranges: [number, number, CheckpointVersion][] = [
      [1, 47, 2],
      [48, 80, 3],
      [81, 90, 3],
    ]
    const v3 = await sign([...ranges])
    const lists = listsOf({ 2: [48, 80], 3: [81, 90] })
    expect((await verify(v3, lists, rewritten)).firstBad).toEqual({ seq: 60, kind: 'event-modified' })
    // Without the lists, or with a version 2 checkpoint there, only the range is known.
    expect((await verify(v3, undefined, rewritten)).firstBad).toEqual({ seq: 48, kind: 'event-modified' })
    const v2 = await sign(ranges.map(([f, t]) => [f, t, 2] as [number, number, 2]))
    expect((await verify(v2, lists, rewritten)).firstBad).toEqual({ seq: 48, kind: 'event-modified' })
  })

  it('a root of the other version, validly signed, is found at its checkpoint', async () => {
    for (const [v, other] of [
      [1, 2],
      [2, 1],
    ] as const) {
      const wrong = checkpointMerkleRoot(
        records.slice(30, 60).map((r) => r.hash),
        other,
      )
      const report = await verify(
        await sign([
          [1, 30, 2],
          [31, 60, v, wrong],
        ]),
      )
      expect(report.firstBad).toEqual({ seq: 31, kind: 'event-modified' })
    }
  })

  it('paged verification gives the same report for an intact trail, and gives up on any damage', async () => {
    const jws = await sign([
      [1, 30, 1],
      [31, 80, 2],
    ])
    const input = {
      tenantId,
      source: 'database' as const,
      jwks: keys.jwks(),
      checkpoints: jws.map((j) => ({ jws: j })),
      startSeq: 1,
      expectedLastSeq: records.length,
      expectedHeadHash: records[records.length - 1]!.hash,
      purgedThroughSeq: 0,
    }
    const numbered = records.map((r, i) => ({ ...r, seq: i + 1 }))
    const pagesOf = async function* (list: ChainRecord[]) {
      for (let i = 0; i < list.length; i += 7) yield list.slice(i, i + 7)
    }
    const full = await verifyChain({ ...input, records: numbered })
    expect(full.ok).toBe(true)
    expect(await verifyChainPaged({ ...input, pages: pagesOf(numbered) })).toEqual(full)

    const damaged: ChainRecord[][] = [
      numbered.map((r, i) => (i === 40 ? { ...r, canonical: r.canonical.replace('u-1', 'u-2') } : r)),
      numbered.map((r, i) => (i === 40 ? { ...r, columnsOk: false } : r)),
      numbered.map((r, i) => (i === 40 ? { ...r, seq: 40 } : r)),
      numbered.filter((_, i) => i !== 89),
      numbered.slice(0, 60), // ends inside a signed checkpoint
    ]
    for (const list of damaged) {
      expect(await verifyChainPaged({ ...input, pages: pagesOf(list) })).toBeUndefined()
      expect((await verifyChain({ ...input, records: list })).ok).toBe(false)
    }
  })

  it('inclusion proofs of all versions verify, each only against its own version', async () => {
    const [v1, v2] = await sign([
      [1, 40, 1],
      [41, 90, 2],
    ])
    const [, v3] = await sign([
      [1, 40, 1],
      [41, 90, 3],
    ])
    const jwks = keys.jwks()
    const hashes1 = records.slice(0, 40).map((r) => r.hash)
    const e7 = events[6]!
    const proof1: InclusionProof = {
      type: 'cw-audit-inclusion-proof',
      v: 1,
      event: JSON.parse(e7.canonical),
      prevHash: e7.prevHash,
      hash: e7.hash,
      leafIndex: 6,
      treeSize: 40,
      path: merklePath(hashes1, 6),
      checkpoint: v1!,
    }
    expect(await verifyInclusionProof(proof1, jwks)).toMatchObject({ valid: true, seq: 7, checkpoint: 1 })

    const hashes2 = records.slice(40, 90).map((r) => r.hash)
    const leaves = merkleSpanLeaves(hashes2)
    expect(leaves).toHaveLength(4) // 50 events: 16 + 16 + 16 + 2
    const e = events[88]! // seq 89: position 48, the last span's first hash
    const proof2: InclusionProof = {
      type: 'cw-audit-inclusion-proof',
      v: 2,
      event: JSON.parse(e.canonical),
      prevHash: e.prevHash,
      hash: e.hash,
      span: hashes2.slice(48, 64),
      leafIndex: 3,
      treeSize: 4,
      path: merklePath(leaves, 3),
      checkpoint: v2!,
    }
    expect(await verifyInclusionProof(proof2, jwks)).toMatchObject({ valid: true, seq: 89, checkpoint: 2 })
    // Version 3 keeps version 2's tree: the same proof, named version 3, against a version 3 checkpoint.
    const proof3: InclusionProof = { ...proof2, v: 3, checkpoint: v3! }
    expect(await verifyInclusionProof(proof3, jwks)).toMatchObject({ valid: true, seq: 89, checkpoint: 2 })
    expect(await verifyInclusionProof({ ...proof3, v: 2 }, jwks)).toMatchObject({ valid: false })
    expect(await verifyInclusionProof({ ...proof2, v: 3 }, jwks)).toMatchObject({ valid: false })

    const bad = (p: InclusionProof) => verifyInclusionProof(p, jwks).then((r) => r.valid)
    expect(await bad({ ...proof2, v: 1 })).toBe(false)
    expect(await bad({ ...proof1, checkpoint: v2! })).toBe(false)
    expect(await bad({ ...proof2, span: [...proof2.span!.slice(0, 1), hashes2[0]!] })).toBe(false)
    expect(await bad({ ...proof2, span: [hashes2[0]!, hashes2[49]!] })).toBe(false)
    expect(await bad({ ...proof2, span: proof2.span!.slice(0, 1) })).toBe(false)
    expect(await bad({ ...proof2, leafIndex: 2 })).toBe(false)
  })
})
