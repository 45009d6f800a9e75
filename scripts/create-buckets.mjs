// Creates the S3 buckets the test suite expects. Idempotent: buckets that
// already exist and belong to the caller are kept, and their settings are
// re-applied/checked, so this can also be run against a long-lived server.
//
// Reads CALLWARDEN_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _REGION and the
// bucket names _BUCKET, _BUCKET_VERSIONED, _BUCKET_LOCKED from the environment.
import {
  CreateBucketCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3'

function required(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`create-buckets: ${name} is not set`)
    process.exit(2)
  }
  return value
}

const env = (suffix) => required(`CALLWARDEN_TEST_S3_${suffix}`)

const client = new S3Client({
  endpoint: env('ENDPOINT'),
  region: process.env.CALLWARDEN_TEST_S3_REGION || 'us-east-1',
  credentials: { accessKeyId: env('ACCESS_KEY'), secretAccessKey: env('SECRET_KEY') },
  // radosgw serves buckets by path, not by virtual host.
  forcePathStyle: true,
  // radosgw rejects the SDK's default streaming checksums (HTTP 411).
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})

async function createBucket(Bucket, extra = {}) {
  try {
    await client.send(new CreateBucketCommand({ Bucket, ...extra }))
    console.log(`created bucket ${Bucket}`)
  } catch (err) {
    if (err?.name === 'BucketAlreadyOwnedByYou' || err?.name === 'BucketAlreadyExists') {
      console.log(`bucket ${Bucket} already exists`)
      return
    }
    throw err
  }
}

const plain = env('BUCKET')
const versioned = env('BUCKET_VERSIONED')
const locked = env('BUCKET_LOCKED')

await createBucket(plain)

await createBucket(versioned)
await client.send(
  new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }),
)
const versioning = await client.send(new GetBucketVersioningCommand({ Bucket: versioned }))
if (versioning.Status !== 'Enabled') {
  throw new Error(`versioning on ${versioned} is ${versioning.Status ?? 'unset'}, expected Enabled`)
}

// Object Lock can only be switched on at creation time (it implies versioning).
await createBucket(locked, { ObjectLockEnabledForBucket: true })
const lock = await client.send(new GetObjectLockConfigurationCommand({ Bucket: locked }))
if (lock.ObjectLockConfiguration?.ObjectLockEnabled !== 'Enabled') {
  throw new Error(`Object Lock is not enabled on ${locked} (an existing bucket without it must be recreated)`)
}

console.log(`buckets ready: ${plain}, ${versioned} (versioned), ${locked} (object lock)`)
