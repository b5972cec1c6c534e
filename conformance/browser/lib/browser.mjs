// Headless Chromium through playwright-core: the Debian binary, never a
// downloaded browser build.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const kChromium = '/usr/bin/chromium';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function launchBrowser() {
  const dep = path.join(here, '..', 'node_modules', 'playwright-core', 'package.json');
  if (!fs.existsSync(dep)) {
    throw new Error(`playwright-core is not installed in ${path.dirname(path.dirname(dep))}; ` +
      `run: npm ci --prefix ${path.resolve(here, '..')}   (scripts/deps does this)`);
  }
  if (!fs.existsSync(kChromium)) throw new Error(`${kChromium} is missing (Debian chromium; scripts/deps installs it)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: kChromium,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
}

// Records every document the page's main frame received (status, URL, body),
// so that a test can check all of them, not only the last one. `stop()` on
// the list ends the recording (a page handed to another journey).
export function watchPages(page) {
  const seen = [];
  const record = (response) => {
    if (response.request().resourceType() !== 'document' || response.frame() !== page.mainFrame()) return;
    const status = response.status();
    const entry = { url: response.url(), status, body: '' };
    seen.push(entry);
    if (status >= 300 && status < 400) return;
    entry.pending = response.text().then((t) => { entry.body = t; }, () => {});
  };
  page.on('response', record);
  seen.stop = () => page.off('response', record);
  return seen;
}

// What a user must never see: stack traces, source locations, internal
// error names, paths of the machine.
const kLeaks = [
  /Traceback \(most recent call last\)/,
  /\bat \S+ \(\S+:\d+:\d+\)/,            // JavaScript stack frame
  /\b\w+\.(cc|cpp|h|c):\d+/,              // C/C++ source location
  /std::|terminate called|Segmentation fault|core dumped/,
  /SQLITE_|sqlite3?_|no such table/i,
  /\/(tmp|home|root|usr|var)\/\S/,         // a path on the server
  /\bINTERNAL\b|Internal\(|StatusOr|FailedPrecondition|Unavailable:/,
];

export async function leakProblems(seen, page) {
  await Promise.all(seen.map((e) => e.pending).filter(Boolean));
  const texts = seen.filter((e) => e.body).map((e) => ({ url: e.url, text: e.body }));
  texts.push({ url: page.url(), text: await page.locator('body').innerText().catch(() => '') });
  const problems = [];
  for (const { url, text } of texts) {
    // Only what is shown: drop the tags and the page's own script.
    const shown = text.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style[\s\S]*?<\/style>/g, '')
      .replace(/<[^>]*>/g, ' ');
    for (const re of kLeaks) {
      const m = shown.match(re);
      if (m) problems.push(`${url}: "${m[0]}"`);
    }
  }
  return problems;
}
