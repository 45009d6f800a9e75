/**
 * `callwarden/blob` — object stores for recordings, exports and audit anchors.
 *
 * @module
 */
export {
  MAX_KEY_BYTES,
  MAX_LIST_LIMIT,
  MAX_PRESIGN_SECONDS,
  assertBlobKey,
  type BlobInfo,
  type BlobPage,
  type BlobStore,
  type DeleteAllVersionsResult,
  type PutOptions,
} from './blob-store.js'
export { openBlobStore, type OpenBlobStoreOptions } from './create-blob-store.js'
export { FS_PRESIGN_SCHEME, FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js'
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js'
