/**
 * The labelled corpus: realistic contact-center text per locale, with every sensitive span
 * labelled and look-alikes (order numbers, dates, amounts, tracking numbers, postcodes,
 * timestamps) that must survive. Span-level precision and recall, per kind and per locale,
 * are printed with the test output and held to floors.
 *
 * A finding counts as a true positive only when kind, start and end all match a label.
 */
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import {
  REDACTION_KINDS,
  redactText,
  type RedactionKind,
  type RedactionLocale,
} from '../../src/masking/index.js'

interface Labelled {
  readonly start: number
  readonly end: number
  readonly value: string
}
interface CorpusDocument {
  readonly id: string
  readonly text: string
  readonly spans: readonly (Labelled & { readonly kind: RedactionKind })[]
  readonly lookAlikes: readonly (Labelled & { readonly label: string })[]
}
interface Corpus {
  readonly locale: RedactionLocale
  readonly documents: readonly CorpusDocument[]
}

const LOCALES = ['cn', 'us', 'gb', 'fr'] as const
const PRECISION_FLOOR = 0.95
const RECALL_FLOOR = 0.9

const load = (name: string): Corpus =>
  JSON.parse(readFileSync(new URL(`../fixtures/redaction/${name}.json`, import.meta.url), 'utf8')) as Corpus

interface Tally {
  tp: number
  fp: number
  fn: number
}
interface Score {
  readonly locale: string
  readonly byKind: Record<RedactionKind, Tally>
  readonly total: Tally
  readonly lookAlikes: number
  readonly survived: number
  readonly misses: string[]
  readonly falseAlarms: string[]
}

function score(corpus: Corpus): Score {
  const byKind = Object.fromEntries(REDACTION_KINDS.map((k) => [k, { tp: 0, fp: 0, fn: 0 }])) as Record<
    RedactionKind,
    Tally
  >
  const total = { tp: 0, fp: 0, fn: 0 }
  let lookAlikes = 0
  let survived = 0
  const misses: string[] = []
  const falseAlarms: string[] = []
  for (const doc of corpus.documents) {
    const { findings } = redactText(doc.text, { locale: corpus.locale })
    const key = (s: { kind: string; start: number; end: number }) => `${s.kind}:${s.start}:${s.end}`
    const gold = new Set(doc.spans.map(key))
    const found = new Set(findings.map(key))
    for (const f of findings) {
      const hit = gold.has(key(f))
      byKind[f.kind][hit ? 'tp' : 'fp'] += 1
      total[hit ? 'tp' : 'fp'] += 1
      if (!hit) falseAlarms.push(`${doc.id} ${f.kind} '${doc.text.slice(f.start, f.end)}'`)
    }
    for (const s of doc.spans) {
      if (found.has(key(s))) continue
      byKind[s.kind].fn += 1
      total.fn += 1
      misses.push(`${doc.id} ${s.kind} '${s.value}'`)
    }
    for (const l of doc.lookAlikes) {
      lookAlikes += 1
      if (!findings.some((f) => f.start < l.end && l.start < f.end)) survived += 1
    }
  }
  return { locale: corpus.locale, byKind, total, lookAlikes, survived, misses, falseAlarms }
}

const ratio = (n: number, d: number) => (d === 0 ? 1 : n / d)
const precision = (t: Tally) => ratio(t.tp, t.tp + t.fp)
const recall = (t: Tally) => ratio(t.tp, t.tp + t.fn)
const fmt = (x: number) => x.toFixed(3)

const scores: Score[] = []

describe('redaction corpus', () => {
  afterAll(() => {
    const rows: string[] = ['locale  kind            labelled  found  tp  precision  recall']
    for (const s of scores) {
      for (const kind of REDACTION_KINDS) {
        const t = s.byKind[kind]
        if (t.tp + t.fp + t.fn === 0) continue
        rows.push(
          `${s.locale.padEnd(8)}${kind.padEnd(16)}${String(t.tp + t.fn).padStart(8)}${String(t.tp + t.fp).padStart(7)}` +
            `${String(t.tp).padStart(4)}${fmt(precision(t)).padStart(11)}${fmt(recall(t)).padStart(8)}`,
        )
      }
      const t = s.total
      rows.push(
        `${s.locale.padEnd(8)}${'ALL'.padEnd(16)}${String(t.tp + t.fn).padStart(8)}${String(t.tp + t.fp).padStart(7)}` +
          `${String(t.tp).padStart(4)}${fmt(precision(t)).padStart(11)}${fmt(recall(t)).padStart(8)}` +
          `   look-alikes survived ${s.survived}/${s.lookAlikes}`,
      )
      for (const m of s.misses) rows.push(`        missed: ${m}`)
      for (const f of s.falseAlarms) rows.push(`        false alarm: ${f}`)
    }
    console.log(`\nRedaction corpus (span-level, exact kind and offsets)\n${rows.join('\n')}\n`)
  })

  for (const name of LOCALES) {
    const corpus = load(name)

    it(`${name}: the fixture is consistent and big enough`, () => {
      expect(corpus.locale).toBe(name.toUpperCase())
      let positives = 0
      let lookAlikes = 0
      for (const doc of corpus.documents) {
        for (const s of [...doc.spans, ...doc.lookAlikes]) {
          expect(doc.text.slice(s.start, s.end), doc.id).toBe(s.value)
        }
        positives += doc.spans.length
        lookAlikes += doc.lookAlikes.length
      }
      expect(positives).toBeGreaterThanOrEqual(40)
      expect(lookAlikes).toBeGreaterThanOrEqual(positives)
    })

    it(`${name}: precision >= ${PRECISION_FLOOR} and recall >= ${RECALL_FLOOR}`, () => {
      const s = score(corpus)
      scores.push(s)
      expect(precision(s.total)).toBeGreaterThanOrEqual(PRECISION_FLOOR)
      expect(recall(s.total)).toBeGreaterThanOrEqual(RECALL_FLOOR)
    })

    it(`${name}: no labelled value survives redaction except the recorded misses`, () => {
      const s = scores.find((x) => x.locale === corpus.locale) ?? score(corpus)
      for (const doc of corpus.documents) {
        const out = redactText(doc.text, { locale: corpus.locale }).text
        for (const span of doc.spans) {
          if (s.misses.includes(`${doc.id} ${span.kind} '${span.value}'`)) continue
          expect(out, doc.id).not.toContain(span.value)
        }
      }
    })
  }
})
