/**
 * A leak guard after each integration file: every pool, socket, server and timer a file
 * opened must be closed by the end of it.
 */
import { afterAll, beforeAll, expect } from 'vitest'

const WATCHED = new Set([
  'TCPSocketWrap',
  'TCPServerWrap',
  'Timeout',
  'Immediate',
  'FSReqPromise',
  'ChildProcess',
])
let before: Map<string, number>

function count(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) {
    if (WATCHED.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return counts
}

beforeAll(() => {
  before = count()
})

afterAll(async () => {
  // Sockets closed at the end of the last test need a turn of the event loop to go away.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const leaked = [...count()].filter(([kind, n]) => n > (before.get(kind) ?? 0))
    if (leaked.length === 0) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const leaked = [...count()].filter(([kind, n]) => n > (before.get(kind) ?? 0))
  expect(Object.fromEntries(leaked), 'resources left open by this test file').toEqual({})
})
