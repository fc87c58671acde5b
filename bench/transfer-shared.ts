// What the vault transfer benchmarks (vault-transfer.ts, vault-s3.ts, share-download.ts) share: a process's RSS and
// CPU time from /proc, the file of random bytes they move, and its upload to PartyRoom.
import { readFileSync } from 'node:fs'

/** Resident memory of a process, in bytes. */
export function rss(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) * 1024
}

/** CPU time a process used so far (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Writes `size` bytes of random data to `path`, in 64 MiB pieces so the benchmark itself stays small. */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const writer = Bun.file(path).writer()
  const piece = new Uint8Array(64 * 1024 * 1024)
  for (let written = 0; written < size; written += piece.byteLength) {
    crypto.getRandomValues(piece.subarray(0, 65536))
    for (let i = 65536; i < piece.byteLength; i += 65536) piece.copyWithin(i, 0, 65536)
    writer.write(piece.subarray(0, Math.min(piece.byteLength, size - written)))
    await writer.flush()
  }
  await writer.end()
}

/** Uploads the file at `path` (`size` bytes) to a PartyRoom vault in one tus PATCH; returns the new file's id. */
export async function uploadToVault(base: string, auth: Record<string, string>, path: string, size: number): Promise<string> {
  const created = await fetch(`${base}/api/vault/uploads`, {
    method: 'POST',
    headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-length': String(size), 'upload-metadata': `filename ${btoa('bench.bin')}` },
  })
  const patched = await fetch(base + created.headers.get('location')!, {
    method: 'PATCH',
    headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: Bun.file(path),
  })
  if (patched.status !== 204) throw new Error(`upload answered ${patched.status}: ${await patched.text()}`)
  return patched.headers.get('vault-file-id')!
}

/** Runs `fn` while sampling the server's RSS; returns seconds, the peak growth over the RSS before it, and the
 * server's CPU use (all its threads) in cores. */
export async function measure(pid: number, fn: () => Promise<void>) {
  // Every transfer starts with no dirty pages waiting: otherwise whichever side runs while the kernel writes back
  // the previous gigabyte is slowed by it, and the comparison measures the disk's mood.
  Bun.spawnSync(['sync'])
  const before = rss(pid)
  const cpu0 = cpuSeconds(pid)
  const client0 = process.cpuUsage()
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 20)
  const start = performance.now()
  await fn()
  const seconds = (performance.now() - start) / 1000
  clearInterval(sampler)
  peak = Math.max(peak, rss(pid))
  const client = process.cpuUsage(client0)
  return { seconds, growth: peak - before, cpu: (cpuSeconds(pid) - cpu0) / seconds, clientCpu: (client.user + client.system) / 1e6 / seconds }
}

/** Reads a whole 200 response, returning its length (which must be `expected` when given). */
export async function drain(response: Response, expected?: number): Promise<number> {
  if (response.status !== 200) throw new Error(`download answered ${response.status}`)
  let bytes = 0
  for await (const chunk of response.body!) bytes += chunk.byteLength
  if (expected !== undefined && bytes !== expected) throw new Error(`downloaded ${bytes} of ${expected} bytes`)
  return bytes
}
