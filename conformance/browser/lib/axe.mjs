// Accessibility check with axe-core (npm, run inside the page): the
// violations of impact "serious" or "critical" on the page as it is now.
// axe-core is a dependency of this folder (package.json); missing, the
// check fails with what to run, it never skips.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let source;

function axeSource() {
  if (source) return source;
  const file = path.join(here, '..', 'node_modules', 'axe-core', 'axe.min.js');
  if (!fs.existsSync(file)) {
    throw new Error(`axe-core is not installed in ${path.resolve(here, '..', 'node_modules')}; ` +
      `run: npm ci --prefix ${path.resolve(here, '..')}   (scripts/deps does this)`);
  }
  source = fs.readFileSync(file, 'utf8');
  return source;
}

// The page's serious and critical violations as "rule: target (summary)"
// lines; [] when none. The pages' CSP allows no foreign script, so axe is
// added through the automation channel, which CSP does not govern.
export async function seriousViolations(page) {
  // Added once per document: a page checked again in a later state (the
  // same document) reuses it instead of parsing the library again.
  if (!await page.evaluate(() => typeof window.axe?.run === 'function')) await page.evaluate(axeSource());
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.targets.join(', ')}`);
}
