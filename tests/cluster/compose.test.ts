// docker-compose.yml is checked against the server's own configuration loader: every node's environment, with the
// example .env filled in, is a valid cluster configuration, and the nodes do not collide on their SFU ports.
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { loadConfig } from '../../src/server/config'

const ROOT = join(import.meta.dir, '../..')

test('each node of docker-compose.yml starts in cluster mode with the example .env, on ports of its own', async () => {
  const compose = Bun.YAML.parse(await Bun.file(join(ROOT, 'docker-compose.yml')).text()) as {
    services: Record<string, { environment?: Record<string, string>; ports?: string[]; build?: string }>
  }
  const example = Object.fromEntries(
    (await Bun.file(join(ROOT, 'deploy/cluster.env.example')).text())
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
  const fill = (value: string) => value.replace(/\$\{([A-Z_]+)(:\?[^}]*)?\}/g, (_, name: string) => example[name] ?? '')
  const nodes = Object.entries(compose.services).filter(([, service]) => service.build === '.')
  expect(nodes.map(([name]) => name)).toEqual(['node1', 'node2', 'node3'])
  const ports = new Set<number>()
  const ids = new Set<string>()
  for (const [, service] of nodes) {
    const env = Object.fromEntries(Object.entries(service.environment!).map(([k, v]) => [k, fill(String(v))]))
    const config = loadConfig(env)
    expect(config.databaseUrl).toStartWith('postgres://')
    expect(config.s3?.bucket).toBe('partyroom')
    expect(config.jwtSecret?.length).toBeGreaterThanOrEqual(32)
    expect(service.ports).toEqual([`${config.sfu.port}:${config.sfu.port}/udp`, `${config.sfu.port}:${config.sfu.port}/tcp`])
    ports.add(config.sfu.port)
    expect(config.cluster?.redisUrl).toBe('redis://redis:6379')
    ids.add(config.cluster!.nodeId)
  }
  expect(ports.size).toBe(3)
  expect(ids.size).toBe(3)
  const caddy = await Bun.file(join(ROOT, 'deploy/Caddyfile')).text()
  for (const [name] of nodes) expect(caddy).toContain(`${name}:8080`)
})
