// A small seeded PRNG (mulberry32), so a fuzz run can be replayed exactly from its seed.
export function seeded(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (max: number) => Math.floor(next() * max)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const string = (max: number) => {
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '.', '<', '>', '\u0000', '\u001f', '\u00e9', '\u{1F600}', '\ud800', '%', '{', '}', '\n']
    let out = ''
    const length = int(max)
    for (let i = 0; i < length; i++) out += pick(alphabet)
    return out
  }
  return { next, int, pick, string }
}

export type Random = ReturnType<typeof seeded>
