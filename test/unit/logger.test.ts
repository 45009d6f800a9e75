/**
 * Privacy in our own output: personal data declared in the data map, credentials and DTMF
 * values never reach a log line.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/logger.js'
import { DataMap } from '../../src/store/data-map/data-map.js'
import { REFERENCE_DATASETS } from '../../src/store/reference-schema.js'

function capture() {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk))
      callback()
    },
  })
  return { lines, destination }
}

describe('logger redaction', () => {
  it('redacts data-map PII columns and secrets at every nesting level it promises', () => {
    const { lines, destination } = capture()
    const log = createLogger({ piiFields: DataMap.from(REFERENCE_DATASETS).piiColumnNames(), destination })
    log.info(
      { caller: '+8613988888888', record: { callee: '008613788888888', remark: 'ID 110105199001011234' } },
      'a',
    )
    log.info({ event: { ivr: { value: '4111111111111111', dtmf: '123456' } } }, 'b')
    log.info({ s3: { secretAccessKey: 'SECRETKEY', token: 'eyJhbGciOi' }, password: 'hunter2' }, 'c')
    log.info({ agent: { email: 'wang@example.com', phone: '+8618900000000' } }, 'd')
    log.info(
      {
        event: {
          type: 'outbound',
          callee: '+8613711112222',
          caller: '+8613633334444',
          customerNumber: '13555556666',
        },
      },
      'e',
    )
    const out = lines.join('')
    for (const secret of [
      '8613988888888',
      '8613788888888',
      '110105199001011234',
      '4111111111111111',
      '123456',
      'SECRETKEY',
      'eyJhbGciOi',
      'hunter2',
      'wang@example.com',
      '8618900000000',
    ]) {
      expect(out).not.toContain(secret)
    }
    expect(out).toContain('[REDACTED]')
    // The logger's own label survives even though `name` is a PII column of the data map.
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ service: 'callwarden' })
  })
})
