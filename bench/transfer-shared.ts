// What the vault transfer benchmarks (vault-transfer.ts, vault-s3.ts) share: a process's RSS and CPU time from
// /proc, and the file of random bytes they move.
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
