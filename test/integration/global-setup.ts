/**
 * Names the real servers the integration suite runs against, once per run, and fails the
 * run at once if they are missing or unreachable.
 */
import { createConnection } from 'mysql2/promise'
import { requireEnv } from './services.js'

export default async function setup(): Promise<void> {
  const mysqlUrl = new URL(requireEnv('CALLWARDEN_TEST_MYSQL_URL'))
  const endpoint = requireEnv('CALLWARDEN_TEST_S3_ENDPOINT')
  const conn = await createConnection({ uri: mysqlUrl.toString() })
  let version: string
  try {
    const [rows] = await conn.query('select version() as v')
    version = (rows as { v: string }[])[0]!.v
  } finally {
    await conn.end()
  }
  const response = await fetch(endpoint)
  if (!response.ok && response.status !== 403) {
    throw new Error(`the S3 endpoint ${endpoint} answered HTTP ${response.status}`)
  }
  const server = response.headers.get('server') ?? 'unknown server'
  console.log(`integration services: MariaDB ${version} at ${mysqlUrl.host}; S3 (${server}) at ${endpoint}`)
}
