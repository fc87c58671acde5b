// "Test speaker": a short two-note chime made here (a WAV in memory, no file to fetch), played through the chosen
// audio output, so a person hears whether the call will reach their ears.

const RATE = 24_000

function chime(): Blob {
  const notes = [660, 880]
  const noteSamples = Math.round(RATE * 0.35)
  const samples = new Int16Array(noteSamples * notes.length)
  notes.forEach((frequency, n) => {
    for (let i = 0; i < noteSamples; i++) {
      // A soft attack and decay, so it does not click.
      const envelope = Math.min(1, i / 400) * Math.exp((-3 * i) / noteSamples)
      samples[n * noteSamples + i] = Math.round(Math.sin((2 * Math.PI * frequency * i) / RATE) * envelope * 0.4 * 32767)
    }
  })
  const header = new DataView(new ArrayBuffer(44))
  const text = (at: number, s: string) => [...s].forEach((c, i) => header.setUint8(at + i, c.charCodeAt(0)))
  text(0, 'RIFF')
  header.setUint32(4, 36 + samples.byteLength, true)
  text(8, 'WAVE')
  text(12, 'fmt ')
  header.setUint32(16, 16, true)
  header.setUint16(20, 1, true)
  header.setUint16(22, 1, true)
  header.setUint32(24, RATE, true)
  header.setUint32(28, RATE * 2, true)
  header.setUint16(32, 2, true)
  header.setUint16(34, 16, true)
  text(36, 'data')
  header.setUint32(40, samples.byteLength, true)
  return new Blob([header, samples], { type: 'audio/wav' })
}

/** Routes an element's sound to an output device, where the browser lets a page choose one. */
export async function useOutput(element: HTMLMediaElement, sinkId: string | undefined) {
  const withSink = element as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void>; sinkId?: string }
  if (!withSink.setSinkId || (withSink.sinkId ?? '') === (sinkId ?? '')) return
  await withSink.setSinkId(sinkId ?? '').catch(() => undefined)
}

/** Plays the chime through `sinkId` (the default output when undefined); settles when it has played. */
export async function playTestSound(sinkId: string | undefined): Promise<void> {
  const url = URL.createObjectURL(chime())
  const audio = new Audio(url)
  audio.dataset.testid = 'speaker-test-sound'
  try {
    await useOutput(audio, sinkId)
    await new Promise<void>((resolve, reject) => {
      audio.onended = () => resolve()
      audio.onerror = () => reject(new Error('the test sound could not play'))
      audio.play().catch(reject)
    })
  } finally {
    URL.revokeObjectURL(url)
  }
}
