// Prints "N passed, N failed" from bun test's JUnit reports (one per pass), so CI sees a run that executed nothing.
export {}
const files = process.argv.slice(2)
if (files.length === 0) files.push('.test-output/junit.xml')
let tests = 0
let failed = 0
let skipped = 0
let missing = false
for (const file of files) {
  const report = Bun.file(file)
  if (!(await report.exists())) {
    console.error(`no test report at ${file}`)
    missing = true
    continue
  }
  const root = (await report.text()).match(/<testsuites\b[^>]*>/)?.[0] ?? ''
  const count = (name: string) => Number(root.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0)
  tests += count('tests')
  failed += count('failures') + count('errors')
  skipped += count('skipped')
}
const passed = tests - failed - skipped
if (skipped) console.error(`${skipped} skipped`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(missing || tests === 0 || failed > 0 ? 1 : 0)
