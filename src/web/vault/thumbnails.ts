// Thumbnails are made here, in the owner's browser: the image is decoded and drawn at most 160 pixels on its long
// side, encoded as WebP (JPEG where the browser cannot), and stored on the server (PUT, at most 32 KiB), so a file
// list shows small pictures instead of sending every image whole. Made right after an upload from the file the
// person chose, or, for an image stored another way, once, the first time its owner's list shows it.
const SIDE = 160
const MAX_BYTES = 32 * 1024

/** Images a thumbnail is made of: the types a browser decodes, and not too large to decode. */
export function canThumbnail(file: { contentType: string; size: number }): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(file.contentType) && file.size <= 64 * 1024 * 1024
}

async function encode(canvas: OffscreenCanvas): Promise<Blob> {
  for (const quality of [0.8, 0.6, 0.4]) {
    let blob = await canvas.convertToBlob({ type: 'image/webp', quality })
    if (blob.type !== 'image/webp') blob = await canvas.convertToBlob({ type: 'image/jpeg', quality })
    if (blob.size <= MAX_BYTES) return blob
  }
  throw new Error('the thumbnail came out too large')
}

export async function makeThumbnail(image: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(image)
  try {
    const scale = Math.min(1, SIDE / Math.max(bitmap.width, bitmap.height))
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)))
    const context = canvas.getContext('2d')!
    context.imageSmoothingQuality = 'high'
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    return await encode(canvas)
  } finally {
    bitmap.close()
  }
}

export async function storeThumbnail(fileId: string, thumbnail: Blob): Promise<void> {
  const response = await fetch(`/api/vault/files/${fileId}/thumbnail`, { method: 'PUT', body: thumbnail })
  if (!response.ok) throw new Error(`the server answered ${response.status}`)
}

// At most two images are fetched and scaled at once, whatever the list shows.
let running = 0
const waiting: Array<() => void> = []
async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await work()
  } finally {
    running--
    waiting.shift()?.()
  }
}

/** For an image of the owner's that has none yet: fetches it once, makes and stores its thumbnail, and returns it. */
export function thumbnailFromStored(file: { id: string }): Promise<Blob> {
  return inTurn(async () => {
    const response = await fetch(`/api/vault/files/${file.id}/content`)
    if (!response.ok) throw new Error(`the server answered ${response.status}`)
    const thumbnail = await makeThumbnail(await response.blob())
    await storeThumbnail(file.id, thumbnail)
    return thumbnail
  })
}
