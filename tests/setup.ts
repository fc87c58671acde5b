// Tests here start real servers and a real browser; the default 5 s per test is too tight on a 2-core machine.
import { setDefaultTimeout } from 'bun:test'

setDefaultTimeout(60_000)
