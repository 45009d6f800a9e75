/**
 * Runs the test tenant endpoint in a process of its own, as a tenant's real endpoint would
 * be, so that its work does not share the benchmark's event loop. Prints its URL on the first
 * line of standard output and stops on SIGTERM.
 *
 * Run: `tsx bench/uid-endpoint-process.ts <username> <password> <round-trip ms>`
 */
import { UidEndpoint } from '../test/fixtures/uid-endpoint.js'

const [username = 'cw', password = 'bench', latency = '5'] = process.argv.slice(2)
const endpoint = await UidEndpoint.start({
  auth: { type: 'basic', username, password },
  latencyMs: Number(latency),
})
process.stdout.write(`${endpoint.url}\n`)
process.on('SIGTERM', () => {
  void endpoint.close().then(() => process.exit(0))
})
