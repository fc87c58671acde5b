// How loud a microphone is, measured here in the page (an AnalyserNode on a copy of the track), so it reads the
// voice even while the track sent to the call is muted: the pre-join meter and the "you are muted" hint use it.
import { createEffect, createSignal, onCleanup } from 'solid-js'

/** The RMS level (0-1) of `track`'s audio, updated ten times a second; 0 without a track. */
export function createLevelMeter(track: () => MediaStreamTrack | null) {
  const [level, setLevel] = createSignal(0)
  createEffect(() => {
    const source = track()
    if (!source || source.readyState === 'ended') return setLevel(0)
    // A copy that stays enabled: muting the call's track must not silence the meter.
    const copy = source.clone()
    copy.enabled = true
    const context = new AudioContext()
    const analyser = context.createAnalyser()
    analyser.fftSize = 1024
    context.createMediaStreamSource(new MediaStream([copy])).connect(analyser)
    const samples = new Float32Array(analyser.fftSize)
    // A page opened without a click yet starts its audio suspended; the first click lets it run.
    const resume = () => void context.resume().catch(() => undefined)
    resume()
    addEventListener('pointerdown', resume, { once: true })
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples)
      let sum = 0
      for (const s of samples) sum += s * s
      setLevel(Math.sqrt(sum / samples.length))
    }, 100)
    onCleanup(() => {
      clearInterval(timer)
      removeEventListener('pointerdown', resume)
      copy.stop()
      void context.close().catch(() => undefined)
      setLevel(0)
    })
  })
  return level
}
