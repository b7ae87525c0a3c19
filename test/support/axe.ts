// axe-core in Chromium: the serious and critical violations on a page as it is now, one line each.
// Evaluated through the debugging protocol, so our CSP (no inline script) does not stop it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** `excused`: a violation a test has a stated reason to accept (say why where it is given). */
export async function axeViolations(
  page: Page,
  excused: (violation: Violation) => boolean = () => false,
): Promise<string[]> {
  await page.evaluate(AXE);
  const found = await page.evaluate<Violation[]>(
    'axe.run(document).then((result) => result.violations)',
  );
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .filter((v) => !excused(v))
    .map(
      (v) =>
        `${new URL(page.url()).pathname}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}
