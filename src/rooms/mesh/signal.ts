// What the server checks before relaying mesh signalling between two browsers. It does not interpret SDP (the
// browsers negotiate); it refuses what is not SDP or an ICE candidate at all, so a peer is never handed garbage.
import type { IceCandidate, SessionDescription } from '../protocol'

// RFC 8866: "v=0" first, then lines "<one lowercase letter>=<value>" separated by CRLF (LF tolerated), no other
// control characters.
const SDP_LINE = /^[a-z]=[^\x00-\x1f\x7f]*$/
// RFC 8839 candidate-attribute: foundation, component, transport, priority, address, port, "typ", type.
const CANDIDATE = /^candidate:[!-~]{1,32} \d{1,3} (udp|tcp|UDP|TCP) \d{1,10} [0-9A-Za-z.:%_-]{1,253} \d{1,5} typ (host|srflx|prflx|relay)( [!-~]+)*$/

export type SignalProblem = { code: 'invalid_sdp' | 'invalid_candidate'; message: string }

export function checkDescription(description: SessionDescription): SignalProblem | undefined {
  const lines = description.sdp.split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  if (lines[0] !== 'v=0') return { code: 'invalid_sdp', message: 'a session description starts with "v=0"' }
  const bad = lines.findIndex((line) => !SDP_LINE.test(line))
  if (bad >= 0) return { code: 'invalid_sdp', message: `session description line ${bad + 1} is not "<letter>=<value>"` }
  if (!lines.some((line) => line.startsWith('m='))) return { code: 'invalid_sdp', message: 'a session description needs at least one media section' }
  return undefined
}

export function checkCandidate(candidate: IceCandidate): SignalProblem | undefined {
  // An empty candidate is the end-of-candidates marker.
  if (candidate.candidate !== '' && !CANDIDATE.test(candidate.candidate)) {
    return { code: 'invalid_candidate', message: 'not an ICE candidate line ("candidate:<foundation> <component> <transport> …")' }
  }
  if ((candidate.sdpMid ?? null) === null && (candidate.sdpMLineIndex ?? null) === null) {
    return { code: 'invalid_candidate', message: 'a candidate needs sdpMid or sdpMLineIndex' }
  }
  return undefined
}
