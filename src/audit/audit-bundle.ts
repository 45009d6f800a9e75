/**
 * Audit bundles: a tenant's events, checkpoints and verification keys in one zip file that
 * an auditor can verify offline, with nothing but the file (and, better, a JWKS obtained
 * from callwarden's operator through another channel).
 *
 * Entries:
 * - `manifest.json` — what the bundle holds ({@link BundleManifest}), for reading;
 * - `manifest.jws` — the same manifest signed (JWS `typ` `cw-audit-manifest`); verification
 *   trusts only this one;
 * - `events.jsonl` — one line per event: `{"event":<canonical event JSON>,"hash":"<hex>"}`,
 *   where the event's bytes are exactly those hashed;
 * - `checkpoints.jsonl` — one line per checkpoint of the tenant, from the first:
 *   `{"anchorKey":…,"jws":"<compact JWS>","n":…}`;
 * - `jwks.json` — the verification keys;
 * - `checkpoint-hashes.jsonl` — the hash lists of the version 3 checkpoints whose ranges
 *   lie in the bundle, in checkpoint order, each split over lines of at most
 *   {@link HASH_LIST_LINE_HASHES} hashes: `{"hashes":"<hex, 64 per hash>","n":…}`. A list is
 *   trusted only when it has the digest its checkpoint signed; verification reads it only
 *   to name the first rewritten event of a range (bundles written before it may lack it).
 *
 * A bundle's own `jwks.json` proves only that the bundle is consistent with itself: whoever
 * could rewrite the events could also re-sign everything with a key of their own. Verify
 * with a JWKS you trust (`callwarden audit jwks` on the live system, or a published copy).
 *
 * @module
 */
import { Readable } from 'node:stream'
import yauzl from 'yauzl'
import yazl from 'yazl'
import { CallwardenError } from '../errors.js'
import { writePrivateFile } from '../lib/private-file.js'
import { MANIFEST_JWS_TYPE } from './audit-checkpoint.js'
import { parseJwks, verifyJws, type AuditJwks } from './audit-keys.js'
import {
  verifyChain,
  verifyChainPaged,
  type AuditProblem,
  type AuditVerifyReport,
  type ChainRecord,
  type CheckpointRecord,
  type HashListSource,
} from './audit-verifier.js'
import { canonicalJson } from './canonical-json.js'

/** The bundle format version. */
export const BUNDLE_VERSION = 1

/** What a bundle holds. */
export interface BundleManifest {
  readonly v: number
  readonly tenantId: string
  readonly exportedAt: string
  /** The first and last sequence numbers in `events.jsonl` (`toSeq` < `fromSeq` when empty). */
  readonly fromSeq: number
  readonly toSeq: number
  readonly eventCount: number
  /** The hash of event `toSeq` (of `fromSeq - 1` when empty). */
  readonly headHash: string
  /** The last checkpoint number in `checkpoints.jsonl`; 0 when there is none. */
  readonly lastCheckpoint: number
  /** Events up to here were removed by retention before the export. */
  readonly purgedThroughSeq: number
}

/** The parts a bundle is written from. @internal */
export interface BundleParts {
  readonly manifest: BundleManifest
  readonly manifestJws: string
  readonly jwks: AuditJwks
  readonly checkpoints: readonly { n: number; jws: string; anchorKey?: string }[]
  /** Event lines (canonical JSON and hash), in sequence order. */
  readonly events: AsyncIterable<{ canonical: string; hash: string }>
  /** The hash lists of version 3 checkpoints (32 bytes per hash), in checkpoint order. */
  readonly hashLists?: AsyncIterable<{ n: number; hashes: Uint8Array }>
}

/** Builds the zip as a stream. @internal */
export function bundleStream(parts: BundleParts): Readable {
  const zip = new yazl.ZipFile()
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`)
  zip.addBuffer(json(parts.manifest), 'manifest.json')
  zip.addBuffer(Buffer.from(`${parts.manifestJws}\n`), 'manifest.jws')
  zip.addBuffer(json(parts.jwks), 'jwks.json')
  zip.addBuffer(
    Buffer.from(
      parts.checkpoints
        .map((c) => `${JSON.stringify({ anchorKey: c.anchorKey ?? null, jws: c.jws, n: c.n })}\n`)
        .join(''),
    ),
    'checkpoints.jsonl',
  )
  const lines = async function* () {
    for await (const e of parts.events) yield `{"event":${e.canonical},"hash":"${e.hash}"}\n`
  }
  const events = Readable.from(lines())
  zip.addReadStream(events, 'events.jsonl')
  const streams = [events]
  if (parts.hashLists !== undefined) {
    const hashLists = parts.hashLists
    const listLines = async function* () {
      for await (const { n, hashes } of hashLists) {
        const step = 32 * HASH_LIST_LINE_HASHES
        for (let at = 0; at < hashes.length; at += step) {
          const hex = Buffer.from(hashes.subarray(at, at + step)).toString('hex')
          yield `{"hashes":"${hex}","n":${n}}\n`
        }
      }
    }
    const lists = Readable.from(listLines())
    zip.addReadStream(lists, HASHES_ENTRY)
    streams.push(lists)
  }
  zip.end()
  // When the reader gives up (an unwritable file), the events and hash lists must stop too:
  // left running they would read from a closed database and fail with nobody listening.
  const output = zip.outputStream as Readable
  output.once('close', () => {
    for (const stream of streams) stream.destroy()
  })
  return output
}

/** Writes a bundle stream to a 0600 file, atomically (`ERR_FILE_UNWRITABLE`). @internal */
export async function writeBundleFile(stream: Readable, path: string): Promise<void> {
  try {
    await writePrivateFile(path, stream)
  } finally {
    stream.destroy()
  }
}

/** A bundle read from a file. */
export interface ReadBundle {
  readonly manifest: BundleManifest
  readonly manifestJws: string
  readonly jwks: AuditJwks
  /** As stored next to each signed checkpoint; verification checks `n` and `anchorKey` against it. */
  readonly checkpoints: readonly { n: number; jws: string; anchorKey: string | null }[]
  readonly events: readonly ChainRecord[]
}

const ENTRIES = ['manifest.json', 'manifest.jws', 'jwks.json', 'checkpoints.jsonl', 'events.jsonl'] as const
/** The entry of the version 3 hash lists; optional (bundles written before it lack it). */
const HASHES_ENTRY = 'checkpoint-hashes.jsonl'
type EntryName = (typeof ENTRIES)[number] | typeof HASHES_ENTRY
/**
 * The most hashes a line of `checkpoint-hashes.jsonl` holds: 512 × 64 hex digits stay within
 * {@link MAX_BUNDLE_LINE_BYTES}.
 */
export const HASH_LIST_LINE_HASHES = 512
const HASH_LIST_PREFIX = '{"hashes":"'
const HASH_LIST_N = /^","n":([1-9][0-9]{0,15})\}$/
const HEX = /^[0-9a-f]*$/

/** A `checkpoint-hashes.jsonl` line's checkpoint number and hex, or `undefined` when it is not one. */
function splitHashListLine(line: string): { n: number; hex: string } | undefined {
  // One pass of a simple pattern: a counted group of 512 × 64 hex digits costs far more.
  const end = line.indexOf('"', HASH_LIST_PREFIX.length)
  if (!line.startsWith(HASH_LIST_PREFIX) || end === -1) return undefined
  const hex = line.slice(HASH_LIST_PREFIX.length, end)
  const n = HASH_LIST_N.exec(line.slice(end))
  const fits = hex.length > 0 && hex.length % 64 === 0 && hex.length <= 64 * HASH_LIST_LINE_HASHES
  return n !== null && fits && HEX.test(hex) ? { n: Number(n[1]), hex } : undefined
}
const PREFIX = '{"event":'
/** Events per page when a bundle is read in pages. */
const EVENT_PAGE = 5000
const HASH_KEY = ',"hash":"'

/**
 * The longest line of `events.jsonl` or `checkpoints.jsonl`, in bytes. An event's details
 * are capped at 16,384 characters (`MAX_DETAILS_CHARS`), at most 3 UTF-8 bytes each, so a
 * genuine event line stays well below it; a reader stops at this many bytes of one line.
 */
export const MAX_BUNDLE_LINE_BYTES = 64 * 1024
/** The largest `manifest.json`, `manifest.jws` or `jwks.json`, in bytes. */
const MAX_SMALL_ENTRY_BYTES = 1024 * 1024
/** The most entries a bundle's zip may hold (it needs five). */
const MAX_ZIP_ENTRIES = 64
/** Deepest nesting of the bundle's own JSON (manifest, keys, checkpoint lines). */
const MAX_JSON_DEPTH = 32
/** @defaultValue of {@link BundleReadOptions.maxBytes}: 1 GiB. */
export const DEFAULT_BUNDLE_MAX_BYTES = 1024 * 1024 * 1024

/** Limits on what a bundle reader accepts from the (untrusted) file. */
export interface BundleReadOptions {
  /**
   * The most bytes the bundle's entries may hold together, uncompressed (as the zip declares
   * them; a stream that yields more than its entry declares is refused too). A larger bundle
   * is refused with `ERR_AUDIT_BUNDLE_INVALID` before its events are read.
   * @defaultValue {@link DEFAULT_BUNDLE_MAX_BYTES} (1 GiB)
   */
  readonly maxBytes?: number
}

function bundleInvalid(message: string, cause?: unknown): CallwardenError {
  return new CallwardenError('ERR_AUDIT_BUNDLE_INVALID', message, cause === undefined ? undefined : { cause })
}

/** Reads a bundle file; throws `ERR_AUDIT_BUNDLE_INVALID` when it is not one (or exceeds the limits). */
export async function readBundle(path: string, options: BundleReadOptions = {}): Promise<ReadBundle> {
  const zip = await openZip(path, maxBytesOption(options.maxBytes))
  try {
    const head = await readBundleHead(zip, path)
    const events: ChainRecord[] = []
    for await (const page of eventPages(zip, path)) for (const record of page) events.push(record)
    return { ...head, events }
  } finally {
    zip.close()
  }
}

function maxBytesOption(value: number | undefined): number {
  if (value === undefined) return DEFAULT_BUNDLE_MAX_BYTES
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`maxBytes must be a positive whole number of bytes, got ${String(value)}`)
  return value
}

/** `JSON.parse` of bundle JSON no deeper than {@link MAX_JSON_DEPTH}; `what` names it in errors. */
function parseBundleJson(text: string, what: string): unknown {
  let depth = 0
  let inString = false
  // One pass over the text: brackets outside strings, skipping escaped characters.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i += 1
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if ((depth += 1) > MAX_JSON_DEPTH)
        throw bundleInvalid(`${what} nests deeper than ${MAX_JSON_DEPTH} levels`)
    } else if (c === 0x7d || c === 0x5d) depth -= 1
  }
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw bundleInvalid(`${what} is not JSON`, cause)
  }
}

/** Everything of a bundle but its events. */
async function readBundleHead(zip: OpenZip, path: string): Promise<Omit<ReadBundle, 'events'>> {
  const text = async (name: EntryName) => (await zip.read(name)).toString('utf8')
  const manifest = parseBundleJson(await text('manifest.json'), `'${path}': manifest.json`) as BundleManifest
  if (manifest === null || typeof manifest !== 'object')
    throw bundleInvalid(`'${path}': manifest.json is not an object`)
  const jwksValue = parseBundleJson(await text('jwks.json'), `'${path}': jwks.json`)
  const checkpoints: { n: number; jws: string; anchorKey: string | null }[] = []
  let lineNo = 0
  for await (const line of entryLines(zip, 'checkpoints.jsonl', path)) {
    lineNo += 1
    if (line.length === 0) continue
    const c = parseBundleJson(line, `'${path}': checkpoints.jsonl line ${lineNo}`) as {
      n?: unknown
      jws?: unknown
      anchorKey?: unknown
    } | null
    if (c === null || typeof c !== 'object' || typeof c.jws !== 'string')
      throw bundleInvalid(`'${path}': checkpoints.jsonl line ${lineNo} is not {"anchorKey":…,"jws":…,"n":…}`)
    checkpoints.push({
      n: Number(c.n),
      jws: c.jws,
      anchorKey:
        typeof c.anchorKey === 'string' ? c.anchorKey : c.anchorKey == null ? null : String(c.anchorKey),
    })
  }
  return {
    manifest,
    manifestJws: (await text('manifest.jws')).trim(),
    jwks: parseJwks(jwksValue, `${path} jwks.json`),
    checkpoints,
  }
}

/**
 * The lines of a zip entry, streamed: each chunk is scanned once for newlines and a line's
 * pieces are joined once, so time is linear in the entry's size; a line longer than
 * {@link MAX_BUNDLE_LINE_BYTES} stops the reader with `ERR_AUDIT_BUNDLE_INVALID`.
 */
async function* entryLines(zip: OpenZip, name: EntryName, path: string): AsyncGenerator<string> {
  const source = await zip.stream(name)
  const chunks = source[Symbol.asyncIterator]()
  let parts: Buffer[] = []
  let partBytes = 0
  let lineNo = 1
  const tooLong = () =>
    bundleInvalid(
      `'${path}': ${name} line ${lineNo} is longer than ${MAX_BUNDLE_LINE_BYTES} bytes, the most a bundle line may hold`,
    )
  const line = (last: Buffer): string => {
    const text = parts.length === 0 ? last.toString('utf8') : Buffer.concat([...parts, last]).toString('utf8')
    parts = []
    partBytes = 0
    lineNo += 1
    return text
  }
  // A reader that stops early (verification gave up) must not leave the entry's stream open.
  try {
    for (;;) {
      let next: IteratorResult<unknown>
      try {
        next = await chunks.next()
      } catch (cause) {
        throw cause instanceof CallwardenError
          ? cause
          : bundleInvalid(`'${path}': cannot read ${name}`, cause)
      }
      if (next.done === true) break
      const chunk = next.value as Buffer
      let start = 0
      for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
        if (partBytes + end - start > MAX_BUNDLE_LINE_BYTES) throw tooLong()
        yield line(chunk.subarray(start, end))
        start = end + 1
      }
      if (start < chunk.length) {
        partBytes += chunk.length - start
        if (partBytes > MAX_BUNDLE_LINE_BYTES) throw tooLong()
        parts.push(chunk.subarray(start))
      }
    }
  } finally {
    source.destroy()
  }
  if (partBytes > 0) yield line(Buffer.alloc(0))
}

/** The events of a bundle in pages, streamed from the zip: memory holds one page. */
async function* eventPages(zip: OpenZip, path: string): AsyncGenerator<ChainRecord[]> {
  let count = 0
  let page: ChainRecord[] = []
  for await (const line of entryLines(zip, 'events.jsonl', path)) {
    if (line.length === 0) continue
    page.push(splitEventLine(line, (count += 1), path))
    if (page.length >= EVENT_PAGE) {
      yield page
      page = []
    }
  }
  if (page.length > 0) yield page
}

/**
 * Splits a line `{"event":…,"hash":"…"}` without parsing the event: its bytes must stay
 * exactly as hashed, and verification of an intact bundle never needs to parse them.
 */
function splitEventLine(line: string, lineNo: number, path: string): ChainRecord {
  const hashStart = line.length - 66
  if (
    hashStart - HASH_KEY.length < PREFIX.length ||
    !line.startsWith(PREFIX) ||
    line.slice(hashStart - HASH_KEY.length, hashStart) !== HASH_KEY ||
    !line.endsWith('"}')
  ) {
    throw bundleInvalid(`'${path}': events.jsonl line ${lineNo} is not {"event":…,"hash":"<64 hex>"}`)
  }
  return {
    canonical: line.slice(PREFIX.length, hashStart - HASH_KEY.length),
    hash: line.slice(hashStart, hashStart + 64),
  }
}

/**
 * The hash lists of a bundle's `checkpoint-hashes.jsonl`, read forward as verification asks
 * for them (in increasing checkpoint number): memory holds one list, of at most the length
 * asked for. A bundle without the entry has no lists.
 */
function hashListReader(zip: OpenZip, path: string): HashListSource & { close(): Promise<void> } {
  const lines = zip.has(HASHES_ENTRY) ? entryLines(zip, HASHES_ENTRY, path) : undefined
  let lineNo = 0
  let pending: { n: number; hex: string } | undefined
  const nextLine = async (): Promise<{ n: number; hex: string } | undefined> => {
    if (pending !== undefined) {
      const line = pending
      pending = undefined
      return line
    }
    for (;;) {
      const next = await lines!.next()
      if (next.done === true) return undefined
      lineNo += 1
      if (next.value.length === 0) continue
      const line = splitHashListLine(next.value)
      if (line === undefined)
        throw bundleInvalid(`'${path}': ${HASHES_ENTRY} line ${lineNo} is not {"hashes":"<hex>","n":…}`)
      return line
    }
  }
  return {
    stored: async (n, bytes) => {
      if (lines === undefined) return undefined
      const parts: Buffer[] = []
      let size = 0
      for (let line = await nextLine(); line !== undefined; line = await nextLine()) {
        if (line.n < n) continue
        if (line.n > n) {
          pending = line
          break
        }
        // Beyond the length asked for the list cannot match: keep one hash more, skip the rest.
        if (size <= bytes) {
          parts.push(Buffer.from(line.hex, 'hex').subarray(0, bytes + 32 - size))
          size += parts[parts.length - 1]!.length
        }
      }
      return parts.length === 0 ? undefined : Buffer.concat(parts)
    },
    close: async () => {
      await lines?.return(undefined)
    },
  }
}

/** Options of {@link verifyBundle}. */
export interface VerifyBundleOptions extends BundleReadOptions {
  /**
   * The JWKS to trust. Without it the bundle's own `jwks.json` is used, which proves only
   * that the bundle is consistent with itself.
   */
  readonly jwks?: AuditJwks
}

/** A bundle verification report. */
export interface BundleVerifyReport extends AuditVerifyReport {
  /** Which keys were trusted: ones the auditor supplied, or the bundle's own. */
  readonly trustedKeys: 'supplied' | 'bundle'
}

/**
 * Verifies a bundle file offline: the signed manifest, every checkpoint's signature and
 * links, and every event against the chain, the checkpoints' heads and Merkle roots.
 *
 * @example
 * ```ts
 * const report = await verifyBundle('bundle.zip', { jwks: trustedJwks })
 * if (!report.ok) report.firstBad // { seq: 1207, kind: 'event-modified' }
 * ```
 */
export async function verifyBundle(
  path: string,
  options: VerifyBundleOptions = {},
): Promise<BundleVerifyReport> {
  const trustedKeys = options.jwks === undefined ? 'bundle' : 'supplied'
  const maxBytes = maxBytesOption(options.maxBytes)
  // An intact bundle is verified while its events stream from the zip, a page at a time;
  // anything else is read whole and verified again, to name the damage.
  const zip = await openZip(path, maxBytes)
  try {
    const head = await readBundleHead(zip, path)
    const jwks = options.jwks ?? head.jwks
    const signed = await verifyJws(head.manifestJws, MANIFEST_JWS_TYPE, jwks)
    const manifest = signed.ok ? (signed.payload as BundleManifest) : undefined
    if (manifest !== undefined) {
      const copy = manifestCopyProblem(head.manifest, manifest)
      const hashLists = hashListReader(zip, path)
      const intact = await verifyChainPaged({
        hashLists,
        tenantId: manifest.tenantId,
        source: 'bundle',
        jwks,
        checkpoints: head.checkpoints.map(checkpointRecordOf),
        ...(copy === undefined ? {} : { extraProblems: [copy] }),
        pages: eventPages(zip, path),
        startSeq: manifest.fromSeq,
        expectedLastSeq: manifest.toSeq,
        ...(manifest.eventCount > 0 ? { expectedHeadHash: manifest.headHash } : {}),
        expectedLastCheckpoint: manifest.lastCheckpoint,
        purgedThroughSeq: manifest.purgedThroughSeq,
      }).finally(() => hashLists.close())
      if (intact !== undefined) return { ...intact, trustedKeys }
    }
  } finally {
    zip.close()
  }
  const bundle = await readBundle(path, { maxBytes })
  // The hash lists are read again, forward, as the damage is located.
  const listZip = await openZip(path, maxBytes)
  const hashLists = hashListReader(listZip, path)
  try {
    return await verifyReadBundle(bundle, options.jwks, trustedKeys, hashLists)
  } finally {
    await hashLists.close()
    listZip.close()
  }
}

/** Verifies a bundle read whole, to name the damage. */
async function verifyReadBundle(
  bundle: ReadBundle,
  trusted: AuditJwks | undefined,
  trustedKeys: BundleVerifyReport['trustedKeys'],
  hashLists: HashListSource,
): Promise<BundleVerifyReport> {
  const jwks = trusted ?? bundle.jwks
  const signed = await verifyJws(bundle.manifestJws, MANIFEST_JWS_TYPE, jwks)
  const manifest = signed.ok ? (signed.payload as BundleManifest) : undefined
  if (manifest === undefined || !signed.ok) {
    // Without a trusted manifest nothing says where the chain must end; check what is there.
    const problem: AuditProblem = {
      kind: !signed.ok && signed.problem === 'forged' ? 'checkpoint-forged' : 'manifest-altered',
      seq: 1,
      message: `the bundle manifest does not verify: ${signed.ok ? 'not a manifest' : signed.detail}`,
    }
    const claimed = bundle.manifest
    const report = await verifyChain({
      tenantId: String(claimed.tenantId),
      source: 'bundle',
      jwks,
      checkpoints: bundle.checkpoints.map(checkpointRecordOf),
      records: bundle.events,
      startSeq: Number(claimed.fromSeq) || 1,
      expectedLastSeq: Number(claimed.fromSeq) + bundle.events.length - 1,
      purgedThroughSeq: Number(claimed.purgedThroughSeq) || 0,
      extraProblems: [problem],
      hashLists,
    })
    return { ...report, trustedKeys }
  }
  const copy = manifestCopyProblem(bundle.manifest, manifest)
  const report = await verifyChain({
    tenantId: manifest.tenantId,
    source: 'bundle',
    jwks,
    checkpoints: bundle.checkpoints.map(checkpointRecordOf),
    ...(copy === undefined ? {} : { extraProblems: [copy] }),
    records: bundle.events,
    startSeq: manifest.fromSeq,
    expectedLastSeq: manifest.toSeq,
    ...(manifest.eventCount > 0 ? { expectedHeadHash: manifest.headHash } : {}),
    expectedLastCheckpoint: manifest.lastCheckpoint,
    purgedThroughSeq: manifest.purgedThroughSeq,
    hashLists,
  })
  return { ...report, trustedKeys }
}

/** A bundle checkpoint with the fields listed next to its JWS, which must match what it signed. */
function checkpointRecordOf(c: ReadBundle['checkpoints'][number]): CheckpointRecord {
  return { jws: c.jws, columns: { n: c.n, anchorKey: c.anchorKey } }
}

/**
 * The problem when the unsigned `manifest.json` (what a person or a tool reads) says anything
 * but the signed manifest (what verification trusts).
 */
function manifestCopyProblem(claimed: unknown, signed: BundleManifest): AuditProblem | undefined {
  let same = false
  try {
    same = canonicalJson(claimed) === canonicalJson(signed)
  } catch {
    // Not plain JSON data: not the signed manifest either.
  }
  if (same) return undefined
  return {
    kind: 'manifest-altered',
    seq: Number.isSafeInteger(signed.fromSeq) && signed.fromSeq > 0 ? signed.fromSeq : 1,
    message: 'manifest.json differs from the signed manifest (manifest.jws)',
  }
}

/** A zip file opened for reading single entries, whole or as a stream. */
interface OpenZip {
  has(name: EntryName): boolean
  read(name: EntryName): Promise<Buffer>
  stream(name: EntryName): Promise<Readable>
  close(): void
}

/**
 * Opens a bundle's zip and indexes its entries, refusing before anything is decompressed a
 * zip with too many entries, a repeated or missing entry, an entry that declares more than
 * it may hold, or entries that together declare more than `maxBytes`. yauzl checks while
 * reading that no entry yields more (or less) than it declares, so a zip bomb ends at its
 * declared size.
 */
async function openZip(path: string, maxBytes: number): Promise<OpenZip> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true },
      (error, file) =>
        error ? reject(bundleInvalid(`'${path}' is not a readable zip file`, error)) : resolve(file),
    ),
  )
  const entries = new Map<string, yauzl.Entry>()
  try {
    if (zip.entryCount > MAX_ZIP_ENTRIES) {
      throw bundleInvalid(
        `'${path}' holds ${zip.entryCount} entries; an audit bundle holds ${ENTRIES.length} (at most ${MAX_ZIP_ENTRIES} are read)`,
      )
    }
    let total = 0
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error) => reject(bundleInvalid(`'${path}' is a damaged zip file`, error)))
      zip.on('end', () => resolve())
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName
        if (!(ENTRIES as readonly string[]).includes(name) && name !== HASHES_ENTRY) return zip.readEntry()
        // Two entries of one name would let a zip tool show one and the verifier read the other.
        if (entries.has(name)) return reject(bundleInvalid(`'${path}' holds ${name} more than once`))
        const limit = name.endsWith('.jsonl') ? maxBytes : MAX_SMALL_ENTRY_BYTES
        total += entry.uncompressedSize
        if (entry.uncompressedSize > limit || total > maxBytes) {
          return reject(
            bundleInvalid(
              `'${path}': ${name} declares ${entry.uncompressedSize} bytes; allowed: ${name.endsWith('.jsonl') ? '' : `at most ${limit} for this entry and `}at most ${maxBytes} for the whole bundle (maxBytes)`,
            ),
          )
        }
        entries.set(name, entry)
        zip.readEntry()
      })
      zip.readEntry()
    })
    for (const name of ENTRIES) {
      if (!entries.has(name))
        throw bundleInvalid(`'${path}' has no ${name}; an audit bundle holds ${ENTRIES.join(', ')}`)
    }
  } catch (error) {
    zip.close()
    throw error
  }
  const stream = (name: EntryName) =>
    new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(entries.get(name)!, (error, s) =>
        error ? reject(bundleInvalid(`'${path}': cannot read ${name}`, error)) : resolve(s),
      ),
    )
  return {
    has: (name) => entries.has(name),
    stream,
    read: async (name) => {
      const chunks: Buffer[] = []
      try {
        for await (const chunk of await stream(name)) chunks.push(chunk as Buffer)
      } catch (cause) {
        throw cause instanceof CallwardenError
          ? cause
          : bundleInvalid(`'${path}': cannot read ${name}`, cause)
      }
      return Buffer.concat(chunks)
    },
    close: () => zip.close(),
  }
}
