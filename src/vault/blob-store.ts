// Where vault bytes live, behind one interface with two implementations: local disk (local-store.ts, the default)
// and an S3-compatible bucket (s3-store.ts, cluster mode). An upload in progress is the store's business too: on
// disk it is numbered segment files, on S3 one multipart upload; either way its durable state is the upload's row
// (src/db/uploads.ts), so any node can resume it. The same tests run against both (tests/vault.test.ts).
import { randomBytes } from 'node:crypto'
import type { UploadProgress, UploadRow } from '../db/uploads'
import type { VaultError } from './errors'

const KEY = /^[0-9a-f]{32}$/

/** A storage key: a name the server chose; a user's file name never reaches a path or an object key. */
export function newKey(): string {
  return randomBytes(16).toString('hex')
}

export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`not a storage key: ${JSON.stringify(key)}`)
  return key
}

export interface AppendContext {
  /** The upload as claimed: its durable state. */
  upload: UploadRow
  request: Request
  /** Content-Length, when the client sent one. */
  declaredLength?: number
  /** Writes durable progress into the upload's row; throws when this writer lost its lease. */
  record(change: UploadProgress): Promise<void>
  /** Counts bytes received (metrics). */
  bytesIn(bytes: number): void
}

export interface AppendOutcome {
  /** Bytes of the upload stored for good, this request's included. */
  received: number
  /** Why the body was not taken whole (too long, no space); what arrived before it is kept. */
  refused?: VaultError
}

export interface ByteRange {
  start: number
  /** Inclusive. */
  end: number
}

export interface BlobStore {
  readonly kind: 'local' | 's3'
  /** Checks that the store can be used (the bucket exists, the credentials work); throws naming what is wrong. */
  verify(): Promise<void>
  /** Prepares a new upload's place; S3 opens a multipart upload (none for an empty file). */
  beginUpload(key: string, size: number): Promise<{ multipartId: string | null }>
  /** Appends one request body at the upload's end, recording progress as it becomes durable. */
  append(context: AppendContext): Promise<AppendOutcome>
  /** Makes a fully received upload the blob under its key and returns its SHA-256 (the caller records the file).
   * Safe to repeat after a crash between this and the record. */
  completeUpload(upload: UploadRow): Promise<string>
  /** Deletes what an unfinished upload stored. */
  abortUpload(upload: UploadRow): Promise<void>
  /** A stored blob's bytes, or a range of them, streamed; rejects (before any byte is promised to the client) when
   * the store cannot deliver them. */
  body(key: string, size: number, range?: ByteRange): Promise<BodyInit>
  remove(key: string): Promise<void>
  /** Deletes bytes no row refers to: blobs without a file, leftovers of uploads without a row; only what is older
   * than `graceMs`, so work under way on another node is never touched. Returns how many went. */
  sweep(fileKeys: Set<string>, uploads: UploadRow[], graceMs: number): Promise<number>
  close(): void
}
