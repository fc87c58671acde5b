// The bucket's sweep: what no row refers to (a blob whose file row was never written, a tail whose upload is gone,
// a multipart upload nobody records) is removed once it is older than the grace period, and never before: another
// node may be writing it right now.
import { afterAll, expect, test } from 'bun:test'
import { S3Client as BunS3 } from 'bun'
import { CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3'
import { S3BlobStore } from '../../src/vault/s3-store'
import { freshBucket, TEST_S3 } from '../support/backend'
import type { UploadRow } from '../../src/db/uploads'

const cleanup: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const step of cleanup) await step()
})

test('orphans go after the grace period; files and live uploads stay', async () => {
  const bucket = await freshBucket()
  cleanup.push(() => bucket.drop())
  const config = { endpoint: TEST_S3.endpoint, bucket: bucket.bucket, region: TEST_S3.region, accessKeyId: TEST_S3.accessKeyId, secretAccessKey: TEST_S3.secretAccessKey, forcePathStyle: true }
  const store = new S3BlobStore(config)
  cleanup.push(async () => store.close())
  const bun = new BunS3({ ...config, virtualHostedStyle: false })
  const sdk = new S3Client({ endpoint: config.endpoint, region: config.region, forcePathStyle: true, credentials: config })
  cleanup.push(async () => sdk.destroy())

  const key = (c: string) => c.repeat(32)
  await bun.file(`blobs/${key('a')}`).write('a file')
  await bun.file(`blobs/${key('b')}`).write('an orphan blob')
  await bun.file(`tails/${key('c')}`).write('a live upload\'s tail')
  await bun.file(`tails/${key('d')}`).write('an orphan tail')
  const live = await sdk.send(new CreateMultipartUploadCommand({ Bucket: config.bucket, Key: `blobs/${key('c')}` }))
  await sdk.send(new CreateMultipartUploadCommand({ Bucket: config.bucket, Key: `blobs/${key('e')}` }))
  const upload = { storageKey: key('c'), multipartId: live.UploadId! } as UploadRow

  // Young: nothing goes.
  expect(await store.sweep(new Set([key('a')]), [upload], 60 * 60_000)).toBe(0)
  expect(await bucket.keys()).toHaveLength(4)
  // Older than the grace period (0 here; S3 times are whole seconds, rounded up by some servers): only what no row
  // knows.
  await Bun.sleep(1100)
  expect(await store.sweep(new Set([key('a')]), [upload], 0)).toBe(3)
  expect(await bucket.keys()).toEqual([`blobs/${key('a')}`, `tails/${key('c')}`])
  expect(await bucket.multipartUploads()).toEqual([`blobs/${key('c')}`])
})
