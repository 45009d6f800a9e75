/**
 * The audit trail's pure parts: canonical JSON (RFC 8785), the event fast path, the Merkle
 * tree and its audit paths.
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalEvent, canonicalJson } from '../../src/audit/canonical-json.js'
import { merklePath, merkleRoot, verifyMerklePath } from '../../src/audit/merkle-tree.js'
import { sha256Hex } from '../../src/audit/audit-chain.js'

describe('canonical JSON', () => {
  it('follows RFC 8785: sorted keys, ECMAScript numbers and strings, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: 1e21, d: -0, e: 0.000001, f: '\u20ac\n' })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":1e+21,"d":0,"e":0.000001,"f":"€\\n"}',
    )
    expect(canonicalJson({ '\u00e9': 1, z: 2, A: 3 })).toBe('{"A":3,"z":2,"é":1}')
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError)
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(TypeError)
    expect(() => canonicalJson([undefined])).toThrow(TypeError)
  })

  it('the event fast path is byte-identical to canonicalJson', () => {
    const text = fc.string({ minLength: 1, maxLength: 20 })
    fc.assert(
      fc.property(
        fc.record(
          {
            v: fc.constant(1),
            tenantId: text,
            seq: fc.nat(),
            id: text,
            time: text,
            actor: fc.record({ id: text, role: text, sourceAddress: text }, { requiredKeys: ['id', 'role'] }),
            action: text,
            target: fc.record({ type: text, id: text }),
            outcome: text,
            reason: text,
            details: fc.dictionary(text, fc.jsonValue()),
          },
          { requiredKeys: ['v', 'tenantId', 'seq', 'id', 'time', 'actor', 'action', 'target', 'outcome'] },
        ),
        (event) => {
          const clean = JSON.parse(JSON.stringify(event))
          expect(canonicalEvent(clean)).toBe(canonicalJson(clean))
        },
      ),
    )
  })
})

describe('Merkle tree', () => {
  it('every leaf’s audit path leads to the root, and only for its own index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (size, pick) => {
        const leaves = Array.from({ length: size }, (_, i) => sha256Hex(`leaf ${i}`))
        const root = merkleRoot(leaves)
        const index = pick % size
        const path = merklePath(leaves, index)
        expect(verifyMerklePath(leaves[index]!, index, size, path, root)).toBe(true)
        if (size > 1)
          expect(verifyMerklePath(leaves[index]!, (index + 1) % size, size, path, root)).toBe(false)
        expect(verifyMerklePath(sha256Hex('other'), index, size, path, root)).toBe(false)
      }),
    )
  })

  it('matches the RFC 6962 split at the largest power of two, for every size up to 70', () => {
    const node = (l: string, r: string) =>
      createHash('sha256')
        .update(Buffer.from([1]))
        .update(Buffer.from(l, 'hex'))
        .update(Buffer.from(r, 'hex'))
        .digest('hex')
    const mth = (d: string[]): string => {
      if (d.length === 1) return d[0]!
      let k = 1
      while (k * 2 < d.length) k *= 2
      return node(mth(d.slice(0, k)), mth(d.slice(k)))
    }
    for (let size = 1; size <= 70; size++) {
      const leaves = Array.from({ length: size }, (_, i) => sha256Hex(String(i)))
      expect(merkleRoot(leaves)).toBe(mth(leaves))
    }
    // Upper-case hex leaves are the same hashes.
    const upper = Array.from({ length: 5 }, (_, i) => sha256Hex(String(i)).toUpperCase())
    expect(merkleRoot(upper)).toBe(mth(upper.map((h) => h.toLowerCase())))
  })
})
