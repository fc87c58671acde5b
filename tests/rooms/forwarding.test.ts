// Last-N and audio selection as pure decisions: who a receiver gets, in which order, and when a voice stops counting.
import { expect, test } from 'bun:test'
import { chooseAudio, chooseVideo, DEFAULT_FORWARDING, SpeakerOrder } from '../../src/rooms/sfu/forwarding'

const members = Array.from({ length: 14 }, (_, i) => `m${i}`)

function order(heard: Array<[string, number]>) {
  const speakers = new SpeakerOrder()
  for (const m of members) speakers.add(m)
  for (const [m, at] of heard) speakers.heard([m], at)
  return speakers
}

test('nobody has spoken: the first N others in join order; speakers come first, the latest first', () => {
  const cameras = new Set(members)
  expect([...chooseVideo('m0', order([]).order(), cameras, [], 3)]).toEqual(['m1', 'm2', 'm3'])
  const speakers = order([['m9', 1], ['m12', 2]])
  expect(speakers.order().slice(0, 3)).toEqual(['m12', 'm9', 'm0'])
  expect([...chooseVideo('m0', speakers.order(), cameras, [], 3)]).toEqual(['m12', 'm9', 'm1'])
  // The receiver never takes a slot of its own, and a member with its camera off takes none either.
  expect([...chooseVideo('m12', speakers.order(), new Set(members.filter((m) => m !== 'm9')), [], 3)]).toEqual(['m0', 'm1', 'm2'])
})

test('pins come on top of the N and only for members with a camera on', () => {
  const cameras = new Set(members.filter((m) => m !== 'm13'))
  expect([...chooseVideo('m0', order([]).order(), cameras, ['m11', 'm13', 'm0'], 2)]).toEqual(['m11', 'm1', 'm2'])
})

test('audio: everyone in a small room; else the latest speakers within the hold, a few at most', () => {
  const policy = { ...DEFAULT_FORWARDING, audioSpeakers: 2, audioAllUpTo: 10, holdMs: 1000 }
  const small = new SpeakerOrder()
  for (const m of members.slice(0, 4)) small.add(m)
  expect([...chooseAudio('m0', small.order(), small, 0, policy)]).toEqual(['m1', 'm2', 'm3'])
  const speakers = order([['m3', 1000], ['m4', 1500], ['m5', 1900]])
  expect([...chooseAudio('m0', speakers.order(), speakers, 2000, policy)]).toEqual(['m5', 'm4'])
  // A speaker does not take a slot from the others in what it hears itself.
  expect([...chooseAudio('m5', speakers.order(), speakers, 2000, policy)]).toEqual(['m4', 'm3'])
  // After the hold, a voice is no longer forwarded.
  expect([...chooseAudio('m0', speakers.order(), speakers, 2800, policy)]).toEqual(['m5'])
  expect([...chooseAudio('m0', speakers.order(), speakers, 5000, policy)]).toEqual([])
})

test('a member who leaves leaves the order', () => {
  const speakers = order([['m2', 1]])
  speakers.remove('m2')
  expect(speakers.order()).not.toContain('m2')
  expect(speakers.heard(['m2'], 5)).toBe(false)
})
