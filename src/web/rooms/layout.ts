// Which tile takes the stage. Grid: every tile the same size, none on stage, unless something claims it. Speaker
// view: the active speaker large, the others in a strip. A pinned tile holds the stage in either; a screen share
// takes it by itself (the newest one) until it is unpinned, or another tile is pinned over it.

/** A tile: `<member id or "self">:<camera|screen>`. */
export type TileKey = string
export type Layout = 'grid' | 'speaker'

export const tileKey = (member: string, kind: 'camera' | 'screen'): TileKey => `${member}:${kind}`

export interface StageInput {
  layout: Layout
  /** The tiles on the page, in their order. */
  tiles: readonly TileKey[]
  pinned?: TileKey
  /** Screen shares on the page, oldest first. */
  screens: readonly TileKey[]
  /** Screen shares the person took off the stage. */
  unpinnedScreens: ReadonlySet<TileKey>
  /** The camera tile of whoever spoke last (not ourselves). */
  speaker?: TileKey
}

export function stageOf(input: StageInput): TileKey | undefined {
  const present = (key: TileKey | undefined) => (key !== undefined && input.tiles.includes(key) ? key : undefined)
  const pinned = present(input.pinned)
  if (pinned) return pinned
  const screen = [...input.screens].reverse().find((key) => present(key) && !input.unpinnedScreens.has(key))
  if (screen) return screen
  if (input.layout === 'grid') return undefined
  // Nobody has spoken yet: the first other person; alone, ourselves.
  return present(input.speaker) ?? input.tiles.find((key) => !key.startsWith('self:') && key.endsWith(':camera')) ?? input.tiles[0]
}
