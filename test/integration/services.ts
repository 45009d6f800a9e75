/**
 * The real servers integration tests run against, from the environment `npm test` sets
 * up (scripts/test-services.sh) or that a developer points at existing servers. A missing
 * variable fails the test loudly: integration tests never skip.
 */
import { randomBytes } from 'node:crypto'
import { createConnection } from 'mysql2/promise'

/** A required environment variable, or an error that says how to provide it. */
export function requireEnv(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: run the suite with 'npm test' (it starts MariaDB and Ceph radosgw), ` +
        'or point CALLWARDEN_TEST_MYSQL_URL / CALLWARDEN_TEST_S3_* at running servers',
    )
  }
  return value
}

/** S3 connection settings of the test radosgw. */
export function s3Settings() {
  return {
    endpoint: requireEnv('CALLWARDEN_TEST_S3_ENDPOINT'),
    region: process.env.CALLWARDEN_TEST_S3_REGION ?? 'us-east-1',
    credentials: {
      accessKeyId: requireEnv('CALLWARDEN_TEST_S3_ACCESS_KEY'),
      secretAccessKey: requireEnv('CALLWARDEN_TEST_S3_SECRET_KEY'),
    },
    bucket: requireEnv('CALLWARDEN_TEST_S3_BUCKET'),
    versionedBucket: requireEnv('CALLWARDEN_TEST_S3_BUCKET_VERSIONED'),
    lockedBucket: requireEnv('CALLWARDEN_TEST_S3_BUCKET_LOCKED'),
  }
}

/**
 * Creates a fresh MariaDB database for one test file (graphile-worker's habit) and returns
 * its URL and a function that drops it.
 */
export async function freshMysqlDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(requireEnv('CALLWARDEN_TEST_MYSQL_URL'))
  const name = `${base.pathname.slice(1)}_${randomBytes(4).toString('hex')}`
  const admin = await createConnection({ uri: base.toString() })
  try {
    await admin.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_ci`)
  } finally {
    await admin.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const conn = await createConnection({ uri: base.toString() })
      try {
        await conn.query(`drop database if exists \`${name}\``)
      } finally {
        await conn.end()
      }
    },
  }
}
