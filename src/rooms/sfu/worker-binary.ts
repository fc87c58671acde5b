// Where the mediasoup-worker binary is, looked up in the same order scripts/mediasoup-worker/install.sh fills:
// MEDIASOUP_WORKER_BIN, then the prebuilt one in node_modules (or next to a compiled PartyRoom binary), then the
// one built from source into ~/.cache/partyroom/mediasoup-worker-<version>/.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { version as mediasoupVersion, workerBin as defaultWorkerBin } from 'mediasoup'

export function findWorkerBinary(configured: string | undefined): string | undefined {
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  const candidates = configured
    ? [configured]
    : [
        defaultWorkerBin,
        join(dirname(process.execPath), 'mediasoup-worker'),
        join(cacheRoot, 'partyroom', `mediasoup-worker-${mediasoupVersion}`, 'mediasoup-worker'),
      ]
  return candidates.find((path) => existsSync(path))
}
