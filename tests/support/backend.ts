// Which engines the tests run on. `PARTYROOM_TEST_BACKEND=cluster` (set by scripts/test.sh for its second pass)
// runs every server and store on PostgreSQL (and the vault on S3) started by scripts/services; unset, on the
// embedded SQLite and local disk. Each test server, and each store a test opens, gets a database of its own.
import { SQL } from 'bun'
import { randomBytes } from 'node:crypto'
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'

export type Backend = 'embedded' | 'cluster'

export const backend: Backend = process.env.PARTYROOM_TEST_BACKEND === 'cluster' ? 'cluster' : 'embedded'

/** The PostgreSQL the services script started; its role may create databases. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://party:partypw@127.0.0.1:55432/partyroom'

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

let admin: SQL | undefined

/** A new, empty PostgreSQL database; `drop` removes it (closing whatever still uses it). */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  admin ??= new SQL({ url: TEST_POSTGRES_URL, max: 2 })
  const name = `t_${randomBytes(6).toString('hex')}`
  await admin.unsafe(`create database ${name}`)
  return {
    url: withDatabase(TEST_POSTGRES_URL, name),
    async drop() {
      await admin!.unsafe(`drop database if exists ${name} with (force)`)
    },
  }
}

/** The S3 server the services script started (Swift's S3 API). */
export const TEST_S3 = {
  endpoint: process.env.TEST_S3_ENDPOINT ?? 'http://127.0.0.1:58080',
  region: process.env.TEST_S3_REGION ?? 'us-east-1',
  accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID ?? 'PARTYROOMTESTKEY',
  secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY ?? 'partyroom-test-secret',
}

let s3: S3Client | undefined
const s3Client = () =>
  (s3 ??= new S3Client({
    endpoint: TEST_S3.endpoint,
    region: TEST_S3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: TEST_S3.accessKeyId, secretAccessKey: TEST_S3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }))

/** A new, empty bucket; `keys` lists what is in it (objects and unfinished multipart uploads); `drop` empties and
 * removes it. */
export async function freshBucket(): Promise<{ env: Record<string, string>; bucket: string; keys(): Promise<string[]>; multipartUploads(): Promise<string[]>; drop(): Promise<void> }> {
  const bucket = `t-${randomBytes(6).toString('hex')}`
  const client = s3Client()
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  const keys = async () => {
    const out: string[] = []
    for (let token: string | undefined, more = true; more; ) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
      out.push(...(page.Contents ?? []).map((o) => o.Key!))
      more = !!page.IsTruncated
      token = page.NextContinuationToken
    }
    return out.sort()
  }
  const multipartUploads = async () => {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    return (page.Uploads ?? []).map((u) => u.Key!).sort()
  }
  return {
    bucket,
    env: {
      S3_ENDPOINT: TEST_S3.endpoint,
      S3_BUCKET: bucket,
      S3_REGION: TEST_S3.region,
      S3_ACCESS_KEY_ID: TEST_S3.accessKeyId,
      S3_SECRET_ACCESS_KEY: TEST_S3.secretAccessKey,
    },
    keys,
    multipartUploads,
    async drop() {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
      for (const u of page.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! })).catch(() => {})
      for (const key of await keys()) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
      await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {})
    },
  }
}
