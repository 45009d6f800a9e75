import { describe, expect, it } from 'vitest'
import { DataMap } from '../../src/store/data-map/data-map.js'
import { REFERENCE_DATASETS } from '../../src/store/reference-schema.js'

const base = { primaryKey: 'id', timeColumn: 'at', category: 'call_data' } as const

describe('DataMap.from', () => {
  it('accepts the reference declarations and applies defaults', () => {
    const map = DataMap.from(REFERENCE_DATASETS)
    expect(map.datasets).toHaveLength(REFERENCE_DATASETS.length)
    expect(map.dataset('service_records').timeFormat).toBe('epoch_ms')
    expect(map.tableFor('service_records', 'acme')).toBe('cc_service_records')
    expect(map.piiColumnNames()).toEqual(expect.arrayContaining(['caller', 'callee', 'value', 'email']))
  })

  it('names the dataset and field of a malformed declaration', () => {
    expect(() =>
      DataMap.from([{ ...base, name: 'cdr', table: 'cdr', category: 'gossip' as never, tenantColumn: 't' }]),
    ).toThrow(expect.objectContaining({ code: 'ERR_DATAMAP_INVALID', dataset: 'cdr' }))
    expect(() => DataMap.from([{ ...base, name: 'cdr', table: 'cdr' }])).toThrow(/tenantColumn/)
    expect(() => DataMap.from([{ ...base, name: 'x', table: 'drop table;', tenantColumn: 't' }])).toThrow(
      expect.objectContaining({ code: 'ERR_DATAMAP_INVALID' }),
    )
  })

  it('refuses declarations that could resolve to the same table', () => {
    const t = (name: string, table: string) => ({ ...base, name, table, tenantColumn: 'tenant_id' })
    expect(() => DataMap.from([t('a', 'cdr'), t('b', 'CDR')])).toThrow(/same table/)
    expect(() => DataMap.from([t('a', 'cdr_{tenant}'), t('b', 'cdr_x_{tenant}')])).toThrow(/same table/)
    expect(() => DataMap.from([t('a', 'cdr_{tenant}'), t('b', 'cdr_acme')])).toThrow(/same table/)
    expect(() => DataMap.from([t('a', 'cdr_{tenant}'), t('b', 'ivr_{tenant}')])).not.toThrow()
    expect(() => DataMap.from([t('a', 'x'), t('a', 'y')])).toThrow(/declared twice/)
  })

  it('resolves per-tenant templates', () => {
    const map = DataMap.from([{ ...base, name: 'cdr', table: 'cdr_{tenant}' }])
    expect(map.tableFor('cdr', 'acme')).toBe('cdr_acme')
    expect(() => map.dataset('nope')).toThrow(expect.objectContaining({ code: 'ERR_DATAMAP_INVALID' }))
  })
})
