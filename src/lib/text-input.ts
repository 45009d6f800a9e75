/**
 * Text read from files an operator wrote: editors on some platforms save UTF-8 with a
 * byte-order mark, which is not part of the content.
 *
 * @module
 */
import { open } from 'node:fs/promises'

/**
 * `text` without a leading UTF-8 byte-order mark (U+FEFF), as `JSON.parse` would otherwise
 * refuse it.
 *
 * @example
 * ```ts
 * JSON.parse(withoutByteOrderMark(readFileSync('callwarden.config.json', 'utf8')))
 * ```
 * @internal
 */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/**
 * The bytes of `path`, read until `maxBytes`: `undefined` when the file holds more (a device
 * such as `/dev/zero`, or a file that grows while it is read, included), so a hostile input
 * file is never buffered whole. Filesystem errors are thrown as they are.
 *
 * @example
 * ```ts
 * const bytes = await readFileUpTo('proof.json', 1024 * 1024)
 * if (bytes === undefined) throw new CallwardenError('ERR_AUDIT_BUNDLE_INVALID', 'proof.json is over 1 MiB')
 * ```
 * @internal
 */
export async function readFileUpTo(path: string, maxBytes: number): Promise<Buffer | undefined> {
  const file = await open(path, 'r')
  try {
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      // One byte past the limit tells a file of exactly maxBytes from a longer one.
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total))
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) return Buffer.concat(chunks, total)
      chunks.push(chunk.subarray(0, bytesRead))
      total += bytesRead
      if (total > maxBytes) return undefined
    }
  } finally {
    await file.close()
  }
}
