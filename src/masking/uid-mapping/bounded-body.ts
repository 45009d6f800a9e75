/**
 * Reading an HTTP response body from a tenant's endpoint without trusting its size.
 *
 * @module
 * @internal
 */

/** The body was longer than allowed; nothing more of it was read. */
export class ResponseTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the response body is larger than the limit of ${Math.ceil(maxBytes / 1024)} KiB`)
    this.name = 'ResponseTooLarge'
  }
}

/**
 * Reads `response`'s body as UTF-8 text, at most `maxBytes` of it. A declared
 * `Content-Length` over the limit is refused before anything is read; a body without one
 * (chunked) is read as a stream and cut off once over the limit. Either way `abort` is
 * aborted (it must be one of the request's signals, so the connection is dropped rather
 * than drained) and {@link ResponseTooLarge} thrown. Other failures (a reset, a timeout)
 * are thrown as they come.
 */
export async function readBodyWithin(
  response: Response,
  maxBytes: number,
  abort: AbortController,
): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    abort.abort()
    await response.body?.cancel().catch(() => undefined)
    throw new ResponseTooLarge(maxBytes)
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        abort.abort()
        await reader.cancel().catch(() => undefined)
        throw new ResponseTooLarge(maxBytes)
      }
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size))
}
