#!/usr/bin/env node
// The README's demo walk-through, followed the way a newcomer follows it:
// `scripts/demo` (without its deps/build step) on free ports and a temporary
// demo folder; Chromium opens the sample provider and presses "Conectare cu
// certME"; `certme wallet approve --wallet <demo>/wallet.json LINK`, with
// the link under the QR code; the browser ends on the sample provider showing
// the validated claims. Then scripts/demo stops on SIGTERM, and a second
// start reuses the demo registry.
//
//   node conformance/browser/demo.mjs --certme build/certme [--artifacts DIR]

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchBrowser, leakProblems, watchPages } from './lib/browser.mjs';
import { Proc, cleanEnv, freePort, runDeadline, tempDir, waitFor } from './lib/procs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const kName = 'conformance.demo';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const certmeArg = opt('certme', process.env.CERTME_BIN);
if (!certmeArg || !fs.existsSync(certmeArg)) {
  console.error(`${kName}: usage: demo.mjs --certme PATH (the built certme binary)`);
  process.exit(1);
}
const certme = path.resolve(certmeArg);
if (!fs.existsSync(path.join(repo, 'examples', 'sample-provider', 'node_modules', 'openid-client'))) {
  console.error(`${kName}: examples/sample-provider/node_modules is missing; ` +
    `run: npm ci --prefix ${path.join(repo, 'examples', 'sample-provider')}   (scripts/deps does this)`);
  process.exit(1);
}
runDeadline(150000, kName);

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');

const work = tempDir('certme-demo-');
const artifacts = path.resolve(opt('artifacts', path.join(work, 'artifacts')));
fs.mkdirSync(artifacts, { recursive: true });
console.log(`${kName}: screenshots in ${artifacts}`);
const demoDir = path.join(work, 'demo');
let env;
let demo;
let browser;

// scripts/demo as a newcomer starts it, but on free ports. The registered
// redirect URI follows the sample provider's port.
async function startDemo(name) {
  const proc = new Proc(name, 'bash', [path.join(repo, 'scripts', 'demo'), '--no-build'],
    { cwd: repo, env, logDir: work, group: true });
  await waitFor('the sample provider site', async () => {
    if (proc.exit) throw new Error(`scripts/demo exited (${JSON.stringify(proc.exit)}):\n${proc.logTail()}`);
    const r = await fetch(`${env.SAMPLE_URL}/`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status === 200;
  }, 60000, 200);
  return proc;
}

before(async () => {
  const bridgePort = await freePort();
  const samplePort = await freePort();
  const clients = fs.readFileSync(path.join(repo, 'examples', 'demo-clients.yaml'), 'utf8')
    .replaceAll('http://127.0.0.1:8081', `http://127.0.0.1:${samplePort}`);
  fs.writeFileSync(path.join(work, 'demo-clients.yaml'), clients);
  env = cleanEnv({
    CERTME_BIN: certme,
    CERTME_DEMO_DIR: demoDir,
    CERTME_SERVER_PORT: String(bridgePort),
    CERTME_SERVER_PUBLIC_URL: `http://127.0.0.1:${bridgePort}`,
    CERTME_OIDC_DEV_CLIENTS_FILE: path.join(work, 'demo-clients.yaml'),
    SAMPLE_PORT: String(samplePort),
    SAMPLE_URL: `http://127.0.0.1:${samplePort}`,
  });
  demo = await startDemo('demo');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await demo?.stop();
  if (process.env.CERTME_CONFORMANCE_KEEP) console.log(`${kName}: kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `demo-${name}.png`), fullPage: true });

test('walk-through: sample provider → QR page → certme wallet approve LINK → logged in with validated claims', async () => {
  const banner = demo.logTail(40);
  assert.match(banner, /setting up the demo registry/);
  assert.ok(banner.includes(`wallet approve --wallet ${demoDir}/wallet.json 'LINK'`), `banner:\n${banner}`);
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'ro-RO' });
  const page = await context.newPage();
  const seen = watchPages(page);
  await page.goto(`${env.SAMPLE_URL}/`);
  await shot(page, '1-provider');
  const button = page.getByRole('link', { name: 'Conectare cu certME' });
  // examples/button.html is the snippet providers copy: same target, same look.
  const looks = (locator) => locator.evaluate((e) => {
    const s = getComputedStyle(e);
    return [e.getAttribute('href'), e.textContent.trim(), s.backgroundColor, s.color, s.padding, s.borderRadius,
      s.fontWeight, s.textDecorationLine, s.display];
  });
  const snippet = await context.newPage();
  await snippet.setContent(fs.readFileSync(path.join(repo, 'examples', 'button.html'), 'utf8'));
  assert.deepEqual(await looks(button), await looks(snippet.locator('a')), 'sample button differs from examples/button.html');
  await snippet.close();
  await button.click();
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 15000 });
  assert.ok(page.url().startsWith(`${env.CERTME_SERVER_PUBLIC_URL}/login/wallet?`), page.url());
  await shot(page, '2-qr');
  // The README: "Copy the link under the QR code".
  const link = await page.getByRole('link', { name: 'Deschide portofelul certME pe acest dispozitiv' })
    .getAttribute('href');
  assert.match(link, /\/wallet\/v1\/l\/[A-Za-z0-9_-]{43}$/);
  // The README's command; the passphrase comes from the environment instead
  // of the terminal, and --yes answers the question.
  const approved = await new Promise((resolve) => {
    execFile(certme, ['wallet', 'approve', '--wallet', path.join(demoDir, 'wallet.json'), link, '--yes'],
      { cwd: repo, env: { ...env, CERTME_WALLET_PASSPHRASE: 'certme-demo' }, timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, out: stdout + stderr }));
  });
  assert.equal(approved.code, 0, `certme wallet approve:\n${approved.out}\n${demo.logTail()}`);
  await page.getByText('Sunteți autentificat cu certME.').waitFor({ timeout: 30000 });
  assert.equal(page.url(), `${env.SAMPLE_URL}/`);
  const rows = Object.fromEntries((await page.locator('tr').allInnerTexts()).map((r) => r.split('\t')));
  assert.equal(rows.given_name, 'Ion');
  assert.equal(rows.family_name, 'Popescu');
  assert.equal(rows.birthdate, '1985-04-12');
  assert.equal(rows.email, 'ion.popescu@example.md');
  await shot(page, '3-logged-in');
  assert.deepEqual(await leakProblems(seen, page), []);
  await context.close();
});

test('scripts/demo stops on SIGTERM and a second start reuses the demo registry', async () => {
  const first = await demo.stop(10000);
  assert.equal(first.killed, false, `scripts/demo did not stop on SIGTERM:\n${demo.logTail()}`);
  demo = await startDemo('demo-again');
  assert.match(demo.logTail(40), /reusing the demo registry/);
  const r = await fetch(`${env.CERTME_SERVER_PUBLIC_URL}/.well-known/openid-configuration`);
  assert.equal(r.status, 200);
  const stopped = await demo.stop(10000);
  assert.equal(stopped.killed, false, 'the second scripts/demo did not stop on SIGTERM');
});
