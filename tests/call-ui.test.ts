// The call page's pure parts: how a path's stats grade into a quality, and which tile takes the stage.
import { describe, expect, test } from 'bun:test'
import { describeQuality, grade, qualityBetween, THRESHOLDS } from '../src/web/rooms/quality'
import { stageOf } from '../src/web/rooms/layout'

describe('connection quality', () => {
  test('grades by loss and round trip, at the documented thresholds', () => {
    expect(grade(0, 20)).toBe('good')
    expect(grade(THRESHOLDS.fairLoss, 20)).toBe('fair')
    expect(grade(THRESHOLDS.poorLoss, 20)).toBe('poor')
    expect(grade(0, THRESHOLDS.fairRttMs)).toBe('fair')
    expect(grade(0, THRESHOLDS.poorRttMs)).toBe('poor')
    expect(grade(0.01, undefined)).toBe('good')
  })

  test('loss and bitrate are over the last poll, not since the start; nothing flowing is unknown', () => {
    const start = { packets: 1000, lost: 0, bytes: 1_000_000, at: 0 }
    // 100 packets arrived in a second and 25 were lost: 20 % of what was sent, 800 kbit/s.
    const q = qualityBetween(start, { packets: 1100, lost: 25, bytes: 1_100_000, at: 1000 }, 15, 24)
    expect(q.grade).toBe('poor')
    expect(q.loss).toBeCloseTo(0.2, 5)
    expect(q.bitrate).toBe(800_000)
    // A long clean call after a bad start is good again: the old losses do not count.
    expect(qualityBetween({ packets: 1100, lost: 25, bytes: 0, at: 1000 }, { packets: 1200, lost: 25, bytes: 0, at: 2000 }, 15).grade).toBe('good')
    expect(qualityBetween(undefined, start, 15).grade).toBe('unknown')
    expect(qualityBetween(start, { ...start, at: 500 }, 15).grade).toBe('unknown')
    // Counters that went backwards (a new stream) never give negative loss.
    expect(qualityBetween(start, { packets: 10, lost: 0, bytes: 0, at: 500 }, 15).loss).toBe(0)
  })

  test('details read as a person would', () => {
    expect(describeQuality({ grade: 'fair', rttMs: 312.4, loss: 0.0456, bitrate: 1_234_567, fps: 23.6 })).toEqual([
      'Round trip: 312 ms',
      'Packets lost: 4.6 %',
      'Bitrate: 1.2 Mbit/s',
      'Frame rate: 24 fps',
    ])
    expect(describeQuality({ grade: 'unknown', loss: 0, bitrate: 64_000 })).toEqual(['Round trip: not measured yet', 'Packets lost: 0.0 %', 'Bitrate: 64 kbit/s'])
  })
})

describe('the stage', () => {
  const tiles = ['self:camera', 'a:camera', 'b:camera', 'b:screen', 'c:camera', 'c:screen']
  const base = { tiles, screens: ['b:screen', 'c:screen'], unpinnedScreens: new Set<string>() }
  test('grid: nobody on stage unless a screen is shared (the newest) or a tile pinned', () => {
    expect(stageOf({ ...base, layout: 'grid', tiles: ['self:camera', 'a:camera'], screens: [] })).toBeUndefined()
    expect(stageOf({ ...base, layout: 'grid' })).toBe('c:screen')
    expect(stageOf({ ...base, layout: 'grid', unpinnedScreens: new Set(['c:screen']) })).toBe('b:screen')
    expect(stageOf({ ...base, layout: 'grid', unpinnedScreens: new Set(['b:screen', 'c:screen']) })).toBeUndefined()
    expect(stageOf({ ...base, layout: 'grid', pinned: 'a:camera' })).toBe('a:camera')
  })
  test('speaker view: the last speaker, else the first other person, else ourselves; a pin or a screen wins', () => {
    const noScreens = { tiles: ['self:camera', 'a:camera', 'b:camera'], screens: [], unpinnedScreens: new Set<string>() }
    expect(stageOf({ ...noScreens, layout: 'speaker', speaker: 'b:camera' })).toBe('b:camera')
    expect(stageOf({ ...noScreens, layout: 'speaker' })).toBe('a:camera')
    expect(stageOf({ ...noScreens, layout: 'speaker', speaker: 'gone:camera' })).toBe('a:camera')
    expect(stageOf({ tiles: ['self:camera'], screens: [], unpinnedScreens: new Set(), layout: 'speaker' })).toBe('self:camera')
    expect(stageOf({ ...noScreens, layout: 'speaker', speaker: 'b:camera', pinned: 'a:camera' })).toBe('a:camera')
    expect(stageOf({ ...base, layout: 'speaker', speaker: 'a:camera' })).toBe('c:screen')
    // A pin on a tile that went away no longer holds.
    expect(stageOf({ ...noScreens, layout: 'speaker', speaker: 'b:camera', pinned: 'gone:camera' })).toBe('b:camera')
  })
})
