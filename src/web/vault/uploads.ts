// The upload queue: each file goes up with tus-js-client (resumable; retries by itself after a network drop and
// continues from the offset the server reports), with progress, speed and time left for the page to show.
import { createStore, produce } from 'solid-js/store'
import { Upload } from 'tus-js-client'
import { canThumbnail, makeThumbnail, storeThumbnail } from './thumbnails'

export type UploadState = 'uploading' | 'paused' | 'done' | 'failed'

export interface UploadItem {
  key: string
  name: string
  total: number
  sent: number
  /** Bytes per second over the last few seconds. */
  speed: number
  state: UploadState
  error?: string
}

interface Running {
  upload: Upload
  samples: Array<{ at: number; sent: number }>
}

/** Server errors come back as JSON bodies; tus-js-client hands over the raw response. */
function reason(error: Error): string {
  const body = (error as { originalResponse?: { getBody(): string } }).originalResponse?.getBody()
  try {
    const message = body ? JSON.parse(body)?.error?.message : undefined
    if (message) return message
  } catch {}
  return error.message.split(', originated from')[0] ?? 'upload failed'
}

export interface UploadOptions {
  /** Where tus creates uploads (the owner's vault by default; a file drop has its own). */
  endpoint?: string
  /** The folder new uploads go into (read when each file is added). */
  folderId?: () => string | null
  /** Make and store a thumbnail of each image uploaded (the owner's vault). */
  thumbnails?: boolean
}

/** `onFileStored` hears of each upload that became a file, with the file's id (the owner's uploads report it). */
export function createUploads(onFileStored: (fileId: string | undefined) => void, options: UploadOptions = {}) {
  const [items, setItems] = createStore<UploadItem[]>([])
  const running = new Map<string, Running>()

  const update = (key: string, change: (item: UploadItem) => void) =>
    setItems(
      produce((list) => {
        const item = list.find((i) => i.key === key)
        if (item) change(item)
      }),
    )

  const add = (file: File) => {
    const key = crypto.randomUUID()
    const folderId = options.folderId?.() ?? null
    let fileId: string | undefined
    setItems((list) => [...list, { key, name: file.name, total: file.size, sent: 0, speed: 0, state: 'uploading' }])
    const upload = new Upload(file, {
      endpoint: options.endpoint ?? '/api/vault/uploads',
      // Bounded requests: a dropped connection costs at most one chunk, and no request body is huge.
      chunkSize: 32 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream', ...(folderId ? { folderId } : {}) },
      removeFingerprintOnSuccess: true,
      onProgress(sent) {
        const entry = running.get(key)
        if (!entry) return
        const now = performance.now()
        entry.samples.push({ at: now, sent })
        while (entry.samples.length > 2 && now - entry.samples[0]!.at > 3000) entry.samples.shift()
        const first = entry.samples[0]!
        const speed = now > first.at ? ((sent - first.sent) / (now - first.at)) * 1000 : 0
        update(key, (item) => {
          item.sent = sent
          item.speed = speed
        })
      },
      onAfterResponse(_request, response) {
        fileId = response.getHeader('Vault-File-Id') ?? fileId
      },
      async onSuccess() {
        // The image is at hand: its thumbnail is made from it now, before the list shows the new file.
        if (options.thumbnails && fileId && canThumbnail({ contentType: file.type, size: file.size })) {
          await makeThumbnail(file)
            .then((thumbnail) => storeThumbnail(fileId!, thumbnail))
            .catch(() => {})
        }
        running.delete(key)
        update(key, (item) => {
          item.state = 'done'
          item.sent = item.total
        })
        onFileStored(fileId)
      },
      onError(error) {
        running.delete(key)
        update(key, (item) => {
          item.state = 'failed'
          item.error = reason(error)
        })
      },
    })
    running.set(key, { upload, samples: [] })
    upload.start()
  }

  return {
    items,
    add(files: Iterable<File>) {
      for (const file of files) add(file)
    },
    pause(key: string) {
      const entry = running.get(key)
      if (!entry) return
      void entry.upload.abort()
      update(key, (item) => {
        item.state = 'paused'
        item.speed = 0
      })
    },
    resume(key: string) {
      const entry = running.get(key)
      if (!entry) return
      entry.samples = []
      update(key, (item) => (item.state = 'uploading'))
      entry.upload.start()
    },
    /** Stops the upload and deletes what the server received. */
    cancel(key: string) {
      const entry = running.get(key)
      running.delete(key)
      if (entry) void entry.upload.abort(true).catch(() => undefined)
      setItems((list) => list.filter((i) => i.key !== key))
    },
    dismiss(key: string) {
      setItems((list) => list.filter((i) => i.key !== key))
    },
  }
}
