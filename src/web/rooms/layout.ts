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

export interface PageInput {
  /** Every tile on the page, in order. */
  tiles: readonly TileKey[]
  stage: TileKey | undefined
  /** The grid page asked for (clamped to the pages there are). */
  page: number
  pageSize: number
  /** Whether we receive the tile's video (ours, screens, and on the SFU the last-N's cameras). */
  received: (key: TileKey) => boolean
}

/** The tiles shown now. Grid: one page of them (`pages` of `pageSize`). With a stage: the stage, and in the strip
 * the tiles whose video we receive (the SFU's last-N), so a room of fifty shows the N in speaker view. */
export function pageOf(input: PageInput): { tiles: TileKey[]; page: number; pages: number } {
  if (input.stage !== undefined) {
    return { tiles: input.tiles.filter((key) => key === input.stage || input.received(key)), page: 0, pages: 1 }
  }
  const pages = Math.max(1, Math.ceil(input.tiles.length / input.pageSize))
  const page = Math.max(0, Math.min(input.page, pages - 1))
  return { tiles: input.tiles.slice(page * input.pageSize, (page + 1) * input.pageSize), page, pages }
}
