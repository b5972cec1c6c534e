// axe-core (npm, a dependency of this folder) run inside a console page:
// the violations of impact "serious" or "critical", as readable lines.
// Missing, the check fails naming what to run; it never skips.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const axeFile = path.join(here, 'node_modules', 'axe-core', 'axe.min.js');
let axeSource;

export function axeInstalled() {
  return fs.existsSync(axeFile);
}

// The console's CSP lets only its own nonce'd script run; axe is injected
// through the automation channel, which the page's CSP does not govern.
export async function seriousViolations(page) {
  axeSource ??= fs.readFileSync(axeFile, 'utf8');
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(', ')}`);
}
