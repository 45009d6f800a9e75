/**
 * The blacklist's CSV format: header `number,direction,reason,expires_at`, one entry a line,
 * RFC 4180 quoting. A prefix is written with its `*` (`+1201*`); `expires_at` is ISO 8601
 * or empty. Free text (`reason`) that a spreadsheet would run as a formula is written with a
 * leading `'` and read back without it.
 *
 * @module
 */

/** The columns of a blacklist CSV, in order. */
export const BLACKLIST_CSV_COLUMNS = ['number', 'direction', 'reason', 'expires_at'] as const

/** One record of a CSV file with the line it starts on (1-based; the header is line 1). */
export interface CsvRecord {
  readonly line: number
  readonly fields: readonly string[]
  /** Set when the record cannot be read (an unterminated quote). */
  readonly problem?: string
}

/**
 * Splits CSV text into records (RFC 4180: `"` quotes, `""` inside quotes, CRLF or LF).
 * Blank lines are skipped. A byte-order mark is ignored.
 *
 * @example
 * ```ts
 * parseCsv('number,direction\n"+1201*",both\n') // [{ line: 1, fields: ['number', 'direction'] }, { line: 2, fields: ['+1201*', 'both'] }]
 * ```
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  while (i < text.length) {
    const start = line
    const fields: string[] = []
    let field = ''
    let quoted = false
    let problem: string | undefined
    for (;;) {
      if (i >= text.length) {
        if (quoted) problem = 'a quoted field is not closed'
        fields.push(field)
        break
      }
      const c = text[i]!
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
          } else {
            quoted = false
            i += 1
          }
        } else {
          if (c === '\n') line += 1
          field += c
          i += 1
        }
        continue
      }
      if (c === '"' && field.length === 0) {
        quoted = true
        i += 1
      } else if (c === ',') {
        fields.push(field)
        field = ''
        i += 1
      } else if (c === '\r' || c === '\n') {
        fields.push(field)
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1
        line += 1
        break
      } else {
        field += c
        i += 1
      }
    }
    if (fields.length === 1 && fields[0] === '' && problem === undefined) continue
    records.push(problem === undefined ? { line: start, fields } : { line: start, fields, problem })
  }
  return records
}

/**
 * Formats one CSV line (without the line break), quoting fields that need it.
 *
 * @example
 * ```ts
 * formatCsvLine(['+8613988888888', 'both', 'said "stop", twice', '']) // '+8613988888888,both,"said ""stop"", twice",'
 * ```
 */
export function formatCsvLine(fields: readonly string[]): string {
  return fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')
}

/** What a spreadsheet reads as the start of a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * Free text made safe to open in a spreadsheet: text that would start a formula gets a
 * leading `'` (as does text that already starts with quotes before one, so that
 * {@link fromSpreadsheetText} undoes it exactly and exports import back unchanged).
 *
 * @example
 * ```ts
 * toSpreadsheetText('=HYPERLINK("http://x")') // '\'=HYPERLINK("http://x")'
 * ```
 */
export function toSpreadsheetText(text: string): string {
  return needsQuote(text) ? `'${text}` : text
}

/** Undoes {@link toSpreadsheetText}. */
export function fromSpreadsheetText(text: string): string {
  return text.startsWith("'") && needsQuote(text.slice(1)) ? text.slice(1) : text
}

function needsQuote(text: string): boolean {
  return FORMULA_START.test(text.replace(/^'+/, ''))
}
