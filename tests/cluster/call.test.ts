// A call across the nodes of a cluster, in real Chromium pages behind HAProxy: two pages whose sockets are on two
// nodes (mesh: signalling relayed through the room's owner), a third on the third node (the room moves to the SFU,
// media through the owner's SFU), then kill -9 of the owner: the call comes back by itself on a live node, every
// page seeing and hearing the others again.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { startCluster, type TestCluster } from '../support/cluster'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser, openCall } from '../support/browser'
import { everyoneSeesEveryone, mode, type Opened } from '../support/calls'

let cluster: TestCluster
let browser: Browser
beforeAll(async () => {
  // leastconn: each new WebSocket goes to the node holding the fewest, so three pages land on three nodes.
  ;[cluster, browser] = await Promise.all([
    startCluster(3, { STUN_URLS: '', BCRYPT_COST: '10', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', ROOM_SFU_AT: '3', ROOM_MESH_AT: '2' }, 'leastconn'),
    launchBrowser(),
  ])
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await cluster?.dispose()
})

const nodeOf = (p: Opened) => p.page.getByTestId('connection-status').getAttribute('data-node')

test(
  'a call whose members are on three nodes: mesh, then SFU through the owner; kill -9 of the owner and it is back on a live node within 15 s',
  async () => {
    const room = uniqueName('spread').replace(/_/g, '-')
    const pages: Opened[] = []
    try {
      const join = async (label: string) => {
        const account = await registerAndLogin(cluster.url, uniqueName(label))
        const opened = { ...(await openCall(browser, cluster.url, account, room)), name: account.username }
        pages.push(opened)
        await opened.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
        await opened.page.waitForFunction(() => document.querySelector('[data-testid=connection-status]')?.getAttribute('data-node'), null, { timeout: 5000 })
        return opened
      }
      const ann = await join('ann')
      const ben = await join('ben')
      expect(await nodeOf(ann)).not.toBe(await nodeOf(ben))
      await everyoneSeesEveryone(pages, 'mesh')

      const cat = await join('cat')
      const nodes = await Promise.all(pages.map(nodeOf))
      expect(new Set(nodes).size).toBe(3)
      for (const p of pages) await p.page.locator('[data-testid=call][data-mode=sfu]').waitFor({ timeout: 15_000 })
      await everyoneSeesEveryone(pages, 'sfu')
      void cat

      // The room is owned by the node that took its first join.
      const owner = cluster.nodes.findIndex((node) => node.logs.some((line) => line.includes('"event":"room.claimed"') && line.includes(`"room":"${room}"`)))
      expect(owner).toBeGreaterThanOrEqual(0)
      // Each page notes, every 50 ms, when a remote tile's count of frames shown goes down: its stream was set up
      // anew (a new consumer or peer connection), which is what the call coming back looks like from the page.
      for (const p of pages) {
        await p.page.evaluate(() => {
          const last: Record<string, number> = {}
          const renewed: Record<string, boolean> = {}
          ;(window as unknown as { __renewed: Record<string, boolean> }).__renewed = renewed
          setInterval(() => {
            for (const e of document.querySelectorAll<HTMLElement>('[data-testid=call-tile][data-kind=camera]:not([data-member=self])')) {
              const name = e.dataset.name!
              const frames = Number(e.dataset.framesShown)
              if (last[name] !== undefined && frames < last[name]!) renewed[name] = true
              last[name] = frames
            }
          }, 50)
        })
      }
      await cluster.nodes[owner]!.crash()
      const killedAt = Date.now()
      // Every page reconnects (those on live nodes are moved once the owner's heartbeat lapses; the one on the dead
      // node lost its socket) and joins again; the first join claims the room on a live node, which sets up the
      // call anew: every remote tile's stream starts again and shows frames.
      for (const p of pages) {
        await p.page.waitForFunction(
          () => {
            const renewed = (window as unknown as { __renewed: Record<string, boolean> }).__renewed
            const tiles = [...document.querySelectorAll<HTMLElement>('[data-testid=call-tile][data-kind=camera]:not([data-member=self])')]
            return tiles.length === 2 && tiles.every((e) => renewed[e.dataset.name!] && Number(e.dataset.framesShown) > 0)
          },
          null,
          { timeout: 20_000, polling: 100 },
        )
      }
      await everyoneSeesEveryone(pages)
      const took = Date.now() - killedAt
      expect(cluster.nodes.some((node, i) => i !== owner && node.logs.some((line) => line.includes('"event":"room.claimed"') && line.includes(`"room":"${room}"`)))).toBe(true)
      console.log(`after kill -9 of its owner the call is back on a live node, every page seeing and hearing the others, in ${took} ms (mode ${await mode(pages[0]!.page)})`)
      expect(took).toBeLessThan(15_000)
      for (const p of pages) expect(p.errors).toEqual([])
    } finally {
      for (const p of pages) await p.context.close().catch(() => {})
    }
  },
  120_000,
)
