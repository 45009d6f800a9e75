/**
 * Writing files that may hold personal data or secrets (exports, proofs, objects, keys).
 *
 * Every such file is written the same way: to a temporary file in the target's directory,
 * created with mode 0600, fsynced, then renamed over the target (and the directory fsynced).
 * A crash leaves the old file or the new one, never a mix; a failed write leaves no partial
 * file; and a file that existed with wider permissions is replaced by a 0600 one, since
 * `mode` on an ordinary write applies only when a file is created. Directories created on
 * the way are 0700.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { link, mkdir, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { CallwardenError } from '../errors.js'

/** Mode of every file written through this module. */
export const PRIVATE_FILE_MODE = 0o600
/** Mode of every directory this module creates. */
export const PRIVATE_DIRECTORY_MODE = 0o700

/** What {@link writePrivateFile} writes: bytes, text, or a stream of either. */
export type PrivateFileContent = string | Uint8Array | AsyncIterable<string | Uint8Array>

/** Options of {@link writePrivateFile}. */
export interface WritePrivateFileOptions {
  /**
   * Keep an existing file: the new content is linked into place only when no file exists
   * (two processes generating a key at once must not replace each other's), and the result
   * is `'exists'` when one did.
   * @defaultValue false
   */
  readonly exclusive?: boolean
  /**
   * Create missing parent directories (mode 0700). Off for paths an operator named, where a
   * missing directory is more likely a typo than a wish.
   * @defaultValue false
   */
  readonly createDirectory?: boolean
}

/**
 * Writes `content` to `path` as a 0600 file, atomically. Throws `ERR_FILE_UNWRITABLE` when
 * the file cannot be created or replaced (the target is then unchanged and no temporary file
 * is left); an error raised by a `content` stream is rethrown as it is.
 *
 * @returns `'written'`, or `'exists'` when `exclusive` found a file already there
 * @example
 * ```ts
 * await writePrivateFile('blacklist.csv', csv) // -rw------- even over an existing -rw-r--r--
 * await writePrivateFile('key.json', jwk, { exclusive: true, createDirectory: true })
 * ```
 * @internal
 */
export async function writePrivateFile(
  path: string,
  content: PrivateFileContent,
  options: WritePrivateFileOptions = {},
): Promise<'written' | 'exists'> {
  const target = resolve(path)
  const dir = dirname(target)
  if (options.createDirectory === true) {
    await fsStep(target, () => mkdir(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }))
  }
  const tmp = temporaryPath(target)
  const handle = await fsStep(target, () => open(tmp, 'wx', PRIVATE_FILE_MODE))
  let closed = false
  try {
    // The creation mode is filtered by the umask only to narrow it; a default ACL on the
    // directory could widen it, so the mode is set once more on the open file.
    await fsStep(target, () => handle.chmod(PRIVATE_FILE_MODE))
    if (typeof content === 'string' || content instanceof Uint8Array) {
      await writeAll(handle, target, content)
    } else {
      for await (const chunk of content) await writeAll(handle, target, chunk)
    }
    await fsStep(target, () => handle.sync())
    closed = true
    await fsStep(target, () => handle.close())
    if (options.exclusive === true) {
      try {
        await link(tmp, target)
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') return 'exists'
        throw unwritable(target, error)
      } finally {
        await unlink(tmp).catch(() => undefined)
      }
    } else {
      await fsStep(target, () => rename(tmp, target))
    }
    await fsStep(target, () => syncDirectory(dir))
    return 'written'
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined)
    await rm(tmp, { force: true })
    throw error
  }
}

/**
 * {@link writePrivateFile} for start-up code that must stay synchronous; text or bytes only.
 * @internal
 */
export function writePrivateFileSync(
  path: string,
  content: string | Uint8Array,
  options: WritePrivateFileOptions = {},
): 'written' | 'exists' {
  const target = resolve(path)
  const dir = dirname(target)
  if (options.createDirectory === true) {
    fsStepSync(target, () => mkdirSync(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }))
  }
  const tmp = temporaryPath(target)
  const fd = fsStepSync(target, () => openSync(tmp, 'wx', PRIVATE_FILE_MODE))
  let closed = false
  try {
    fsStepSync(target, () => fchmodSync(fd, PRIVATE_FILE_MODE))
    const bytes = typeof content === 'string' ? Buffer.from(content) : content
    for (let offset = 0; offset < bytes.length;) {
      offset += fsStepSync(target, () => writeSync(fd, bytes, offset, bytes.length - offset))
    }
    fsStepSync(target, () => fsyncSync(fd))
    closed = true
    fsStepSync(target, () => closeSync(fd))
    if (options.exclusive === true) {
      try {
        linkSync(tmp, target)
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') return 'exists'
        throw unwritable(target, error)
      } finally {
        try {
          unlinkSync(tmp)
        } catch {
          // already gone
        }
      }
    } else {
      fsStepSync(target, () => renameSync(tmp, target))
    }
    fsStepSync(target, () => {
      const dirFd = openSync(dir, 'r')
      try {
        fsyncSync(dirFd)
      } finally {
        closeSync(dirFd)
      }
    })
    return 'written'
  } catch (error) {
    if (!closed) {
      try {
        closeSync(fd)
      } catch {
        // the write already failed; that error is the one to report
      }
    }
    rmSync(tmp, { force: true })
    throw error
  }
}

/** A hidden name next to the target, so the final rename stays on one filesystem. */
function temporaryPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
}

async function writeAll(handle: FileHandle, target: string, chunk: string | Uint8Array): Promise<void> {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
  for (let offset = 0; offset < bytes.length;) {
    const { bytesWritten } = await fsStep(target, () => handle.write(bytes, offset, bytes.length - offset))
    offset += bytesWritten
  }
}

/** Makes a rename durable: the directory entry is what a crash could otherwise lose. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function fsStep<T>(target: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    throw unwritable(target, error)
  }
}

function fsStepSync<T>(target: string, step: () => T): T {
  try {
    return step()
  } catch (error) {
    throw unwritable(target, error)
  }
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

function unwritable(target: string, cause: unknown): CallwardenError {
  if (cause instanceof CallwardenError) return cause
  const why = errnoCode(cause) ?? (cause instanceof Error ? cause.message : String(cause))
  return new CallwardenError(
    'ERR_FILE_UNWRITABLE',
    `cannot write '${target}' (${why}); it must be a file path in an existing, writable directory`,
    { cause },
  )
}
