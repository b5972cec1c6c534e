#!/usr/bin/env node
// The README's demo walk-through, followed the way a newcomer follows it:
// `scripts/demo` (without its deps/build step) on free ports and a temporary
// demo folder; Chromium opens the sample provider and presses "Conectare cu
// certME"; `certme wallet approve --wallet <demo>/wallet.json LINK`, with
// the link under the QR code; the browser ends on the sample provider's
// welcome page (the validated attributes by name, the level of assurance in
// words, the raw claims only under "technical details"), and logs out. A
// second login refused in the wallet ends on the provider's refusal page,
// whose Try again starts a new login. The production environment the demo
// sets up: the info box names the console's accounts, and the demo service
// is promoted in the console, in the browser as the info box says (the
// test certificate refused, then the production one the demo left), after
// which the production bridge knows its client.
// Then scripts/demo stops on SIGTERM, and a second start reuses the demo
// registry.
//
//   node conformance/browser/demo.mjs --certme build/certme [--artifacts DIR]

import fs from 'node:fs';
import path from 'node:path';

import { leakProblems, watchPages } from './lib/browser.mjs';
import { demoWorld, repo } from './lib/demo_world.mjs';

const kName = 'conformance.demo';
const world = demoWorld({ name: kName, script: 'demo.mjs', prefix: 'certme-demo-', deadlineMs: 150000 });
const { artifacts, demoDir, work } = world;

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');

let env;
let demo;
let browser;

before(async () => {
  await world.start(60000);
  ({ env, demo, browser } = world);
});

after(() => world.stop());

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
  // The wallet's prompt speaks the locale's language: attributes by name,
  // with the values it sends.
  const prompt = await approveInWallet(link, '--yes', 'ro_RO.UTF-8');
  assert.match(prompt, /Serviciul: Serviciul demonstrativ \(demo-rp\)/);
  assert.match(prompt, /^ {2}Prenume: +Ion$/m);
  assert.match(prompt, /^ {2}Sex: +masculin \(1\)$/m);
  assert.ok(!prompt.includes('first_name'), prompt);
  await page.getByText('Sunteți autentificat cu certME.').waitFor({ timeout: 30000 });
  assert.equal(page.url(), `${env.SAMPLE_URL}/`);
  // The welcome page: the attributes by their names, values as words, the
  // level of assurance in words; no claim names, no epoch times.
  await page.getByRole('heading', { name: 'Bine ați venit, Ion Popescu!' }).waitFor();
  const rows = Object.fromEntries((await page.locator('body > table tr').allInnerTexts())
    .map((r) => r.split('\t')));
  assert.deepEqual(rows, {
    Prenume: 'Ion', Nume: 'Popescu', 'Data nașterii': '12 aprilie 1985', Sex: 'masculin', Limba: 'română',
    'E-mail': 'ion.popescu@example.md',
  });
  const shown = await page.locator('body').innerText();
  assert.match(shown, /Nivel de asigurare: (scăzut|substanțial|înalt)\n/);
  for (const raw of ['given_name', 'nonce', 'at_hash', 'http://eidas', 'access_denied']) assert.ok(!shown.includes(raw), `"${raw}" shown:\n${shown}`);
  // The developer's view is one click away.
  const details = page.locator('details');
  await details.locator('summary', { hasText: 'Detalii tehnice' }).click();
  assert.match(await details.innerText(), /given_name\s+Ion[\s\S]*nonce/);
  await shot(page, '3-logged-in');
  assert.deepEqual(await leakProblems(seen, page), []);
  // Log out: through the bridge and back to the start page.
  await page.getByRole('button', { name: 'Ieșire' }).click();
  await page.getByRole('link', { name: 'Conectare cu certME' }).waitFor({ timeout: 15000 });
  assert.equal(page.url(), `${env.SAMPLE_URL}/`);
  await context.close();
});

// `certme wallet approve` as the README gives it; the passphrase comes from
// the environment instead of the terminal, and --yes / --refuse answers.
async function approveInWallet(link, answer, locale) {
  const approved = await world.wallet(['approve', link, answer], { env: { LC_ALL: '', LC_MESSAGES: '', LANG: locale } });
  assert.equal(approved.code, 0, `certme wallet approve ${answer}:\n${approved.out}\n${demo.logTail()}`);
  return approved.out;
}

async function walletLink(page, name = 'Deschide portofelul certME pe acest dispozitiv') {
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 15000 });
  return page.getByRole('link', { name }).getAttribute('href');
}

// A login left on its QR page keeps the page's long-poll open at the bridge,
// which then waits for it on SIGTERM (server.shutdown_grace_seconds): each
// test ends its logins, here by refusing in the wallet.
async function endLogin(page, linkName, refusedText) {
  await approveInWallet(await walletLink(page, linkName), '--refuse', 'en_GB.UTF-8');
  await page.getByText(refusedText).waitFor({ timeout: 30000 });
}

test('refused in the wallet: the sample provider says so in words and offers Try again', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'ro-RO' });
  const page = await context.newPage();
  const seen = watchPages(page);
  await page.goto(`${env.SAMPLE_URL}/`);
  await page.getByRole('link', { name: 'Conectare cu certME' }).click();
  const prompt = await approveInWallet(await walletLink(page), '--refuse', 'en_GB.UTF-8');
  assert.match(prompt, /^ {2}First name: +Ion$/m);
  assert.match(prompt, /Refused: the browser shows the refusal\./);
  // The bridge's refusal page, then back to the service.
  await page.getByRole('link', { name: 'Înapoi la serviciu' }).click({ timeout: 30000 });
  await page.getByRole('heading', { name: 'Nu v-ați conectat' }).waitFor({ timeout: 15000 });
  assert.ok(page.url().startsWith(`${env.SAMPLE_URL}/callback?`), page.url());
  const shown = await page.locator('body').innerText();
  assert.match(shown, /Serviciul nu a primit nicio dată despre dvs\./);
  assert.ok(!shown.includes('access_denied'), `the protocol's code is shown:\n${shown}`);
  await shot(page, '4-refused');
  assert.deepEqual(await leakProblems(seen, page), []);
  // Try again: a new login at the bridge.
  await page.getByRole('link', { name: 'Încercați din nou' }).click();
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 15000 });
  assert.ok(page.url().startsWith(`${env.CERTME_SERVER_PUBLIC_URL}/login/wallet?`), page.url());
  await endLogin(page, 'Deschide portofelul certME pe acest dispozitiv', 'Ați refuzat autentificarea.');
  await context.close();
});

test('certme wallet history finds the demo wallet\'s ledger from the wallet file, from any directory', async () => {
  const r = await world.wallet(['history', '--lang', 'en'], { cwd: work });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^request 1 .* asked for .*: answered/m);
  assert.ok(!r.out.includes('ledger init'), r.out);
});

test('the sample provider speaks English to an English browser and asks the bridge for English', async () => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${env.SAMPLE_URL}/`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.getByRole('link', { name: 'Sign in with certME' }).click();
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 15000 });
  assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the bridge did not follow ui_locales');
  await endLogin(page, 'Open the certME wallet on this device', 'You refused to sign in.');
  // An old callback link in a browser with no login under way: the expired
  // page, in English.
  const other = await context.browser().newContext({ locale: 'en-GB' });
  const page2 = await other.newPage();
  await page2.goto(`${env.SAMPLE_URL}/callback?code=stale&state=stale`);
  await page2.getByRole('heading', { name: 'The sign-in expired' }).waitFor();
  assert.equal(await page2.getByRole('link', { name: 'Try again' }).getAttribute('href'), '/login');
  // The language links: Russian.
  await page2.getByRole('link', { name: 'RU' }).click();
  await page2.getByRole('link', { name: 'Войти через certME' }).waitFor();
  await other.close();
  await context.close();
});

test('production environment: the info box names the console accounts; the demo service is promoted with the waiting certificate and the production bridge knows it', async () => {
  const banner = demo.logTail(60);
  for (const want of [`${env.CERTME_SERVER_PUBLIC_URL}/admin`, /user admin +password \S{12,}/, /user operator +password \S{12,}/,
    `the bridge at ${env.PRODUCTION_URL}`, `upload ${demoDir}/console/production.cer`])
    assert.ok(typeof want === 'string' ? banner.includes(want) : want.test(banner), `${want} not in the info box:\n${banner}`);
  const service = fs.readFileSync(path.join(demoDir, 'console', 'service-id'), 'utf8').trim();
  assert.match(service, /^svc-[0-9a-f]{12}$/);
  assert.ok(banner.includes(service), `the info box does not name ${service}`);
  // Every answer is read to its end: a connection left open would keep a
  // bridge from stopping at once on SIGTERM (the last test).
  const authorize = async (clientId) => {
    const r = await fetch(`${env.PRODUCTION_URL}/authorize?${new URLSearchParams({
    client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: `${env.SAMPLE_URL}/callback`,
    state: 'demo-state', nonce: 'demo-nonce', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    await r.arrayBuffer();
    return r;
  };
  assert.equal((await authorize(service)).status, 400, 'the production bridge knows the service before its promotion');
  // As the newcomer does it, following the info box: the console in an
  // English browser, signed in as admin, the service's page, "Promote to
  // production…"; the test certificate is refused, the production one the
  // demo left is taken.
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${env.CERTME_SERVER_PUBLIC_URL}/admin`);
  await page.fill('#user', 'admin');
  await page.fill('#password', fs.readFileSync(path.join(demoDir, 'admin-password'), 'utf8').trim());
  await page.click('button[type=submit]');
  await page.waitForURL(`${env.CERTME_SERVER_PUBLIC_URL}/admin/services`);
  await page.goto(`${env.CERTME_SERVER_PUBLIC_URL}/admin/services/${service}`);
  await page.getByText('Serviciul demonstrativ').first().waitFor();
  await page.click('text=Promote to production');
  await page.setInputFiles('#certificate', path.join(demoDir, 'console', 'test.cer'));
  await page.check('input[name=approved]');
  await page.click('button:has-text("Promote to production")');
  assert.match(await page.locator('#certificate ~ .field-error').innerText(), /test certificate/);
  await page.screenshot({ path: path.join(artifacts, 'demo-promote-test-certificate-refused.png'), fullPage: true });
  await page.setInputFiles('#certificate', path.join(demoDir, 'console', 'production.cer'));
  await page.check('input[name=approved]');
  await page.click('button:has-text("Promote to production")');
  await page.waitForSelector('text=Promoted to production.');
  assert.match((await page.locator('#client-secret').innerText()).trim(), /^\S{32,}$/);
  await page.screenshot({ path: path.join(artifacts, 'demo-promoted.png'), fullPage: true });
  await context.close();
  const r = await authorize(service);
  assert.equal(r.status, 302, `the production bridge does not know the promoted service (HTTP ${r.status})`);
  assert.ok(r.headers.get('location').startsWith(`${env.PRODUCTION_URL}/login/`), r.headers.get('location'));
});

test('scripts/demo stops on SIGTERM and a second start reuses the demo registry', async () => {
  const first = await demo.stop(10000);
  assert.equal(first.killed, false, `scripts/demo did not stop on SIGTERM:\n${demo.logTail()}`);
  demo = world.demo = await world.startDemo('demo-again', 60000);
  assert.match(demo.logTail(40), /reusing the demo registry/);
  const r = await fetch(`${env.CERTME_SERVER_PUBLIC_URL}/.well-known/openid-configuration`);
  assert.equal(r.status, 200);
  const stopped = await demo.stop(10000);
  assert.equal(stopped.killed, false, 'the second scripts/demo did not stop on SIGTERM');
});
