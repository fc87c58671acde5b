// axe-core (Deque's accessibility engine) run in a Playwright page: the WCAG 2.1 A and AA rules, colour contrast
// included. What counts as a failure is a serious or critical violation, as the issue asks; each is reported with
// the elements it concerns so the message says what to mend.
import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'

export async function accessibilityProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page: page as never }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} (${n.failureSummary?.split('\n').slice(1, 2).join(' ').trim()})`).join('; ')}`)
}
