/**
 * Reads a do-not-call list's source line by line: a file, bytes, or an (async) iterable of
 * lines or byte chunks; one number a line, or CSV with a header and a column. Plain lines are
 * read from the bytes as they are, without making strings.
 *
 * @module
 * @internal
 */
import { createReadStream } from 'node:fs'
import { CallwardenError } from '../../errors.js'
import { parseCsv } from '../blacklist/blacklist-csv.js'
import { BLANK, problemResult, type DncNumberReader } from './dnc-number-reader.js'

/** The formats a list can be written in. */
export const DNC_LIST_FORMATS = ['lines', 'csv'] as const
/** One format. */
export type DncListFormat = (typeof DNC_LIST_FORMATS)[number]

/**
 * Where a list comes from: a file path; the file's bytes; or an iterable or async iterable
 * (a Node stream, a `readline` interface, an array) whose string items are one line each and
 * whose byte items are raw content split at line breaks.
 */
export type DncListSource =
  string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>

/** Lines longer than this are refused (a file without line breaks is not read whole). */
const MAX_LINE_BYTES = 1 << 16
const LF = 10
const QUOTE = 34
const COMMA = 44

/** Receives each record's result (a number's integer, a problem, or {@link BLANK}) and its line. */
export type DncRecordVisitor = (result: number, line: number) => void

/** @internal */
export interface DncSourceOptions {
  readonly list: string
  readonly format: DncListFormat
  readonly column: string | number | undefined
  readonly reader: DncNumberReader
}

/** Reads every record of `source`, calling `visit` for each. */
export async function readDncSource(
  source: DncListSource,
  options: DncSourceOptions,
  visit: DncRecordVisitor,
): Promise<void> {
  const handler =
    options.format === 'csv' ? new CsvRecords(options, visit) : new PlainLines(options.reader, visit)
  const splitter = new LineSplitter(handler)
  if (typeof source === 'string') {
    try {
      for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
        splitter.bytes(chunk as Buffer)
      }
    } catch (error) {
      // Only the file system's own errors (they carry a syscall) are about the file.
      if (error === null || typeof error !== 'object' || !('syscall' in error)) throw error
      const code = (error as { code?: unknown }).code
      throw new CallwardenError(
        'ERR_DNC_LIST_INVALID',
        `do-not-call list '${options.list}': the file cannot be read (${typeof code === 'string' ? code : 'read error'})`,
        { cause: error },
      )
    }
  } else if (source instanceof Uint8Array) {
    splitter.bytes(source)
  } else if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) {
    for await (const item of source) splitter.item(item)
  } else if (source !== null && typeof source === 'object' && Symbol.iterator in source) {
    for (const item of source) splitter.item(item)
  } else {
    throw new TypeError(
      'a do-not-call list source must be a file path, bytes, or an iterable of lines or byte chunks',
    )
  }
  splitter.end()
}

/** What the splitter hands lines to. */
interface LineHandler {
  bytes(bytes: Uint8Array, start: number, end: number, line: number): void
  text(text: string, line: number): void
  tooLong(line: number): void
  end(): void
}

/** Splits byte chunks at line feeds (a line may span chunks) and numbers the lines. */
class LineSplitter {
  readonly #handler: LineHandler
  #carry: Buffer | undefined
  #line = 0
  #started = false
  #skipping = false

  constructor(handler: LineHandler) {
    this.#handler = handler
  }

  item(item: string | Uint8Array): void {
    if (typeof item === 'string') {
      this.#line++
      this.#handler.text(this.#line === 1 ? item.replace(/^\ufeff/, '') : item, this.#line)
    } else if (item instanceof Uint8Array) {
      this.bytes(item)
    } else {
      throw new TypeError('the items of a do-not-call list source must be strings (lines) or bytes')
    }
  }

  bytes(chunk: Uint8Array): void {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (!this.#started) {
      this.#started = true
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
    }
    let pos = 0
    if (this.#carry !== undefined) {
      const lf = bytes.indexOf(LF)
      if (lf < 0) {
        this.#append(bytes)
        return
      }
      this.#append(bytes.subarray(0, lf))
      this.#emit(this.#carry!, 0, this.#carry!.length)
      this.#carry = undefined
      pos = lf + 1
    }
    for (;;) {
      const lf = bytes.indexOf(LF, pos)
      if (lf < 0) break
      this.#emit(bytes, pos, lf)
      pos = lf + 1
    }
    if (pos < bytes.length) this.#append(bytes.subarray(pos))
  }

  end(): void {
    if (this.#carry !== undefined) this.#emit(this.#carry, 0, this.#carry.length)
    this.#carry = undefined
    this.#handler.end()
  }

  #append(bytes: Uint8Array): void {
    if (this.#skipping) return
    const length = (this.#carry?.length ?? 0) + bytes.length
    if (length > MAX_LINE_BYTES) {
      // Report the line once and drop it up to its end.
      this.#skipping = true
      this.#carry = Buffer.alloc(0)
      return
    }
    this.#carry = this.#carry === undefined ? Buffer.from(bytes) : Buffer.concat([this.#carry, bytes])
  }

  #emit(bytes: Buffer, start: number, end: number): void {
    this.#line++
    if (this.#skipping) {
      this.#skipping = false
      this.#handler.tooLong(this.#line)
      return
    }
    if (end - start > MAX_LINE_BYTES) this.#handler.tooLong(this.#line)
    else this.#handler.bytes(bytes, start, end, this.#line)
  }
}

/** One number a line. */
class PlainLines implements LineHandler {
  constructor(
    readonly reader: DncNumberReader,
    readonly visit: DncRecordVisitor,
  ) {}

  bytes(bytes: Uint8Array, start: number, end: number, line: number): void {
    this.visit(this.reader.readBytes(bytes, start, end), line)
  }

  text(text: string, line: number): void {
    this.visit(this.reader.readString(text), line)
  }

  tooLong(line: number): void {
    this.visit(problemResult('LINE_TOO_LONG'), line)
  }

  end(): void {}
}

/**
 * CSV (RFC 4180) with a header line; the number is in one column. Records without quotes
 * are read from the bytes; quoted ones (which may span lines) go through the CSV parser.
 */
class CsvRecords implements LineHandler {
  readonly #options: DncSourceOptions
  readonly #visit: DncRecordVisitor
  #column = -1
  #pending: { line: number; text: string } | undefined

  constructor(options: DncSourceOptions, visit: DncRecordVisitor) {
    this.#options = options
    this.#visit = visit
  }

  bytes(bytes: Uint8Array, start: number, end: number, line: number): void {
    if (this.#column >= 0 && this.#pending === undefined && find(bytes, QUOTE, start, end) < 0) {
      this.#plain(bytes, start, end, line)
      return
    }
    this.text(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end),
      line,
    )
  }

  text(text: string, line: number): void {
    text = text.replace(/\r?\n?$/, '')
    if (this.#pending !== undefined) {
      this.#pending.text += `\n${text}`
      if (quotesBalanced(this.#pending.text)) {
        const { line: first, text: record } = this.#pending
        this.#pending = undefined
        this.#record(record, first)
      }
      return
    }
    if (!quotesBalanced(text)) {
      this.#pending = { line, text }
      return
    }
    this.#record(text, line)
  }

  tooLong(line: number): void {
    if (this.#column < 0) this.#header(undefined)
    this.#visit(problemResult('LINE_TOO_LONG'), line)
  }

  end(): void {
    if (this.#pending !== undefined) {
      if (this.#column < 0) this.#header(undefined)
      this.#visit(problemResult('UNCLOSED_QUOTE'), this.#pending.line)
      this.#pending = undefined
    }
  }

  #plain(bytes: Uint8Array, start: number, end: number, line: number): void {
    let fieldStart = start
    for (let column = 0; column < this.#column; column++) {
      const comma = find(bytes, COMMA, fieldStart, end)
      if (comma < 0) {
        this.#visit(isBlank(bytes, start, end) ? BLANK : problemResult('MISSING_FIELD'), line)
        return
      }
      fieldStart = comma + 1
    }
    const comma = find(bytes, COMMA, fieldStart, end)
    const fieldEnd = comma < 0 ? end : comma
    this.#visit(this.#options.reader.readBytes(bytes, fieldStart, fieldEnd), line)
  }

  #record(text: string, line: number): void {
    if (text.trim() === '') return
    const fields = parseCsv(text)[0]?.fields ?? []
    if (this.#column < 0) {
      this.#header(fields)
      return
    }
    const field = fields[this.#column]
    this.#visit(
      field === undefined ? problemResult('MISSING_FIELD') : this.#options.reader.readString(field),
      line,
    )
  }

  #header(fields: readonly string[] | undefined): void {
    const { list, column } = this.#options
    if (fields === undefined) {
      throw new CallwardenError(
        'ERR_DNC_LIST_INVALID',
        `do-not-call list '${list}': the CSV header cannot be read`,
      )
    }
    if (typeof column === 'number') {
      if (column >= fields.length) {
        throw new CallwardenError(
          'ERR_DNC_LIST_INVALID',
          `do-not-call list '${list}': column ${column} does not exist; the header has ${fields.length} column(s), numbered from 0`,
        )
      }
      this.#column = column
      return
    }
    const wanted = (column ?? '').trim().toLowerCase()
    const index = column === undefined ? 0 : fields.findIndex((f) => f.trim().toLowerCase() === wanted)
    if (index < 0) {
      throw new CallwardenError(
        'ERR_DNC_LIST_INVALID',
        `do-not-call list '${list}': the CSV header has no column named '${String(column).slice(0, 64)}' (it has ${fields.length} column(s)); give the column's name or its index from 0`,
      )
    }
    this.#column = index
  }
}

function quotesBalanced(text: string): boolean {
  let count = 0
  for (let at = text.indexOf('"'); at >= 0; at = text.indexOf('"', at + 1)) count++
  return count % 2 === 0
}

/** Where `byte` first occurs in `bytes[start, end)`, or -1 (a line is short: a loop beats a native call). */
function find(bytes: Uint8Array, byte: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i] === byte) return i
  return -1
}

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]
    if (c !== 32 && c !== 9 && c !== 13) return false
  }
  return true
}
