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
 * - `jwks.json` — the verification keys.
 *
 * A bundle's own `jwks.json` proves only that the bundle is consistent with itself: whoever
 * could rewrite the events could also re-sign everything with a key of their own. Verify
 * with a JWKS you trust (`callwarden audit jwks` on the live system, or a published copy).
 *
 * @module
 */
import { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
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
} from './audit-verifier.js'

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
  zip.end()
  // When the reader gives up (an unwritable file), the events must stop too: left running
  // they would read from a closed database and fail with nobody listening.
  const output = zip.outputStream as Readable
  output.once('close', () => events.destroy())
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
  readonly checkpoints: readonly { n: number; jws: string }[]
  readonly events: readonly ChainRecord[]
}

const ENTRIES = ['manifest.json', 'manifest.jws', 'jwks.json', 'checkpoints.jsonl', 'events.jsonl'] as const
const PREFIX = '{"event":'
/** Events per page when a bundle is read in pages. */
const EVENT_PAGE = 5000
const HASH_KEY = ',"hash":"'

function bundleInvalid(message: string, cause?: unknown): CallwardenError {
  return new CallwardenError('ERR_AUDIT_BUNDLE_INVALID', message, cause === undefined ? undefined : { cause })
}

/** Reads a bundle file; throws `ERR_AUDIT_BUNDLE_INVALID` when it is not one. */
export async function readBundle(path: string): Promise<ReadBundle> {
  const zip = await openZip(path)
  try {
    const head = await readBundleHead(zip, path)
    const events: ChainRecord[] = []
    for await (const page of eventPages(zip, path)) for (const record of page) events.push(record)
    return { ...head, events }
  } finally {
    zip.close()
  }
}

/** Everything of a bundle but its events. */
async function readBundleHead(zip: OpenZip, path: string): Promise<Omit<ReadBundle, 'events'>> {
  for (const name of ENTRIES) {
    if (!zip.has(name))
      throw bundleInvalid(`'${path}' has no ${name}; an audit bundle holds ${ENTRIES.join(', ')}`)
  }
  const text = async (name: string) => (await zip.read(name)).toString('utf8')
  let manifest: BundleManifest
  let jwksValue: unknown
  try {
    manifest = JSON.parse(await text('manifest.json')) as BundleManifest
    jwksValue = JSON.parse(await text('jwks.json'))
  } catch (cause) {
    if (cause instanceof CallwardenError) throw cause
    throw bundleInvalid(`'${path}': manifest.json or jwks.json is not JSON`, cause)
  }
  const checkpoints = (await text('checkpoints.jsonl'))
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, i) => {
      try {
        const c = JSON.parse(line) as { n: number; jws: string }
        return { n: Number(c.n), jws: String(c.jws) }
      } catch (cause) {
        throw bundleInvalid(`'${path}': checkpoints.jsonl line ${i + 1} is not JSON`, cause)
      }
    })
  return {
    manifest,
    manifestJws: (await text('manifest.jws')).trim(),
    jwks: parseJwks(jwksValue, `${path} jwks.json`),
    checkpoints,
  }
}

/** The events of a bundle in pages, streamed from the zip: memory holds one page. */
async function* eventPages(zip: OpenZip, path: string): AsyncGenerator<ChainRecord[]> {
  const decoder = new StringDecoder('utf8')
  let rest = ''
  let count = 0
  let page: ChainRecord[] = []
  const take = (line: string) => {
    if (line.length > 0) page.push(splitEventLine(line, (count += 1), path))
  }
  const source = await zip.stream('events.jsonl')
  const chunks = source[Symbol.asyncIterator]()
  // A reader that stops early (verification gave up) must not leave the entry's stream open.
  try {
    for (;;) {
      let next: IteratorResult<unknown>
      try {
        next = await chunks.next()
      } catch (cause) {
        throw bundleInvalid(`'${path}': cannot read events.jsonl`, cause)
      }
      if (next.done === true) break
      const body = rest + decoder.write(next.value as Buffer)
      let start = 0
      for (let end = body.indexOf('\n'); end !== -1; end = body.indexOf('\n', start)) {
        take(body.slice(start, end))
        start = end + 1
      }
      rest = body.slice(start)
      if (page.length >= EVENT_PAGE) {
        yield page
        page = []
      }
    }
  } finally {
    source.destroy()
  }
  take(rest + decoder.end())
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

/** Options of {@link verifyBundle}. */
export interface VerifyBundleOptions {
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
  // An intact bundle is verified while its events stream from the zip, a page at a time;
  // anything else is read whole and verified again, to name the damage.
  const zip = await openZip(path)
  try {
    const head = await readBundleHead(zip, path)
    const jwks = options.jwks ?? head.jwks
    const signed = await verifyJws(head.manifestJws, MANIFEST_JWS_TYPE, jwks)
    const manifest = signed.ok ? (signed.payload as BundleManifest) : undefined
    if (manifest !== undefined) {
      const intact = await verifyChainPaged({
        tenantId: manifest.tenantId,
        source: 'bundle',
        jwks,
        checkpoints: head.checkpoints,
        pages: eventPages(zip, path),
        startSeq: manifest.fromSeq,
        expectedLastSeq: manifest.toSeq,
        ...(manifest.eventCount > 0 ? { expectedHeadHash: manifest.headHash } : {}),
        expectedLastCheckpoint: manifest.lastCheckpoint,
        purgedThroughSeq: manifest.purgedThroughSeq,
      })
      if (intact !== undefined) return { ...intact, trustedKeys }
    }
  } finally {
    zip.close()
  }
  const bundle = await readBundle(path)
  const jwks = options.jwks ?? bundle.jwks
  const signed = await verifyJws(bundle.manifestJws, MANIFEST_JWS_TYPE, jwks)
  const manifest = signed.ok ? (signed.payload as BundleManifest) : undefined
  if (manifest === undefined || !signed.ok) {
    // Without a trusted manifest nothing says where the chain must end; check what is there.
    const problem: AuditProblem = {
      kind: !signed.ok && signed.problem === 'forged' ? 'checkpoint-forged' : 'checkpoint-altered',
      seq: 1,
      message: `the bundle manifest does not verify: ${signed.ok ? 'not a manifest' : signed.detail}`,
    }
    const claimed = bundle.manifest
    const report = await verifyChain({
      tenantId: String(claimed.tenantId),
      source: 'bundle',
      jwks,
      checkpoints: bundle.checkpoints,
      records: bundle.events,
      startSeq: Number(claimed.fromSeq) || 1,
      expectedLastSeq: Number(claimed.fromSeq) + bundle.events.length - 1,
      purgedThroughSeq: Number(claimed.purgedThroughSeq) || 0,
      extraProblems: [problem],
    })
    return { ...report, trustedKeys }
  }
  const report = await verifyChain({
    tenantId: manifest.tenantId,
    source: 'bundle',
    jwks,
    checkpoints: bundle.checkpoints,
    records: bundle.events,
    startSeq: manifest.fromSeq,
    expectedLastSeq: manifest.toSeq,
    ...(manifest.eventCount > 0 ? { expectedHeadHash: manifest.headHash } : {}),
    expectedLastCheckpoint: manifest.lastCheckpoint,
    purgedThroughSeq: manifest.purgedThroughSeq,
  })
  return { ...report, trustedKeys }
}

/** A zip file opened for reading single entries, whole or as a stream. */
interface OpenZip {
  has(name: string): boolean
  read(name: string): Promise<Buffer>
  stream(name: string): Promise<Readable>
  close(): void
}

async function openZip(path: string): Promise<OpenZip> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, file) =>
      error ? reject(bundleInvalid(`'${path}' is not a readable zip file`, error)) : resolve(file),
    ),
  )
  const entries = new Map<string, yauzl.Entry>()
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error) => reject(bundleInvalid(`'${path}' is a damaged zip file`, error)))
      zip.on('end', () => resolve())
      zip.on('entry', (entry: yauzl.Entry) => {
        if ((ENTRIES as readonly string[]).includes(entry.fileName)) entries.set(entry.fileName, entry)
        zip.readEntry()
      })
      zip.readEntry()
    })
  } catch (error) {
    zip.close()
    throw error
  }
  const stream = (name: string) =>
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
