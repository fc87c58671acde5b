// Which stored files may be shown in place (a preview) rather than only downloaded: images other than SVG, audio,
// video, PDF and plain text. SVG and HTML are never among them, as they can carry scripts. Shared by the server,
// which sends these types inline only when asked, and the web client, which offers a preview for them.
const PREVIEWABLE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|application\/pdf|text\/plain)$/

export type PreviewKind = 'image' | 'audio' | 'video' | 'pdf' | 'text'

export function isPreviewable(contentType: string): boolean {
  return PREVIEWABLE.test(contentType)
}

export function previewKind(contentType: string): PreviewKind | undefined {
  if (!PREVIEWABLE.test(contentType)) return undefined
  if (contentType === 'application/pdf') return 'pdf'
  if (contentType === 'text/plain') return 'text'
  return contentType.split('/')[0] as PreviewKind
}
