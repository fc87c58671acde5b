// A minimal tus 1.0.0 client over fetch, for tests: create, patch, head, terminate.
export class TusClient {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  private headers(extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${this.token}`, 'tus-resumable': '1.0.0', ...extra }
  }

  async create(name: string, length: number, type?: string, extra: Record<string, string> = {}, folderId?: string): Promise<Response> {
    const metadata = [`filename ${Buffer.from(name).toString('base64')}`]
    if (type) metadata.push(`filetype ${Buffer.from(type).toString('base64')}`)
    if (folderId) metadata.push(`folderId ${Buffer.from(folderId).toString('base64')}`)
    return fetch(`${this.base}/api/vault/uploads`, {
      method: 'POST',
      headers: this.headers({ 'upload-length': String(length), 'upload-metadata': metadata.join(','), ...extra }),
    })
  }

  async patch(location: string, offset: number, body: BodyInit, extra: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    return fetch(this.base + location, {
      method: 'PATCH',
      signal,
      headers: this.headers({ 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra }),
      body,
    })
  }

  async head(location: string): Promise<Response> {
    return fetch(this.base + location, { method: 'HEAD', headers: this.headers() })
  }

  async terminate(location: string): Promise<Response> {
    return fetch(this.base + location, { method: 'DELETE', headers: this.headers() })
  }

  /** Create and send a whole file in one PATCH (into a folder when given); returns the new file's id. */
  async upload(name: string, bytes: Uint8Array<ArrayBuffer> | Blob, type?: string, folderId?: string): Promise<string> {
    const size = bytes instanceof Blob ? bytes.size : bytes.byteLength
    const created = await this.create(name, size, type, {}, folderId)
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`)
    if (size === 0) return created.headers.get('vault-file-id')!
    const patched = await this.patch(created.headers.get('location')!, 0, bytes)
    if (patched.status !== 204) throw new Error(`patch answered ${patched.status}: ${await patched.text()}`)
    return patched.headers.get('vault-file-id')!
  }
}

export function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
}

export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(size))
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)))
  return out
}
