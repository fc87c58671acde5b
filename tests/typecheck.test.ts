// The server, the client (typed by the server's routes through Eden) and the tests must agree on every shape.
import { expect, test } from 'bun:test'
import { join } from 'node:path'

test('the whole project type-checks', async () => {
  const tsc = Bun.spawn(['bun', 'x', 'tsc', '-p', '.'], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' })
  const [code, output] = await Promise.all([tsc.exited, new Response(tsc.stdout).text()])
  expect(output).toBe('')
  expect(code).toBe(0)
  // tsc over the whole project takes about 5 s on two cores: more than bun's default 5 s for a test.
}, 60_000)
