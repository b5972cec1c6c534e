#!/usr/bin/env node
// The QR code on the provider's own page: the sample provider's /qr page
// draws the bridge's <certme-login> element (served at /certme-login.js),
// its backend makes the device authorization (RFC 8628) and polls the token
// endpoint with openid-client's device flow. Started as the demo starts
// (`scripts/demo --no-build` on free ports, a temporary demo folder).
//   1. Chromium (ro) presses "Conectare cu certME" on the provider's page; the
//      QR code appears there; `certme wallet approve QR.png --yes` scans a
//      screenshot of it; the element goes on by itself through the wallet's
//      states to "done" and to the provider's welcome page, which shows the
//      validated attributes.
//   2. Chromium (en), from the keyboard: the QR code, refused in the wallet →
//      the element says so and offers Try again, which draws a new QR code.
// Both pages run under the provider's strict CSP (scripts only from the
// bridge, no 'unsafe-inline' script) and no CSP violation is reported.
//
//   node conformance/browser/device_login.mjs --certme build/certme [--artifacts DIR]

import fs from 'node:fs';
import path from 'node:path';

import { leakProblems, watchPages } from './lib/browser.mjs';
import { demoWorld, repo } from './lib/demo_world.mjs';

const kName = 'conformance.browser_device_login';
const world = demoWorld({ name: kName, script: 'device_login.mjs', prefix: 'certme-device-login-', deadlineMs: 170000 });
const { artifacts } = world;

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');

// The login pages' texts: the element shows the same words.
const catalogue = (lang) => JSON.parse(fs.readFileSync(path.join(repo, 'templates', 'i18n', `${lang}.json`), 'utf8'));
let env;
let demo;
let browser;

before(async () => {
  await world.start(90000);
  ({ env, demo, browser } = world);
});

after(() => world.stop());

// A page of the provider, with every state the element passes through and
// every CSP violation recorded (through the DevTools protocol, which the
// page's CSP does not govern).
async function providerPage(locale) {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 }, locale });
  const page = await context.newPage();
  const record = { states: [], violations: [], console: [] };
  await page.exposeFunction('recordState', (s) => record.states.push(s));
  await page.exposeFunction('recordViolation', (v) => record.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('certme-login-state', (e) => window.recordState(e.detail.state));
    document.addEventListener('securitypolicyviolation', (e) => window.recordViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) record.console.push(m.text()); });
  return { context, page, record, seen: watchPages(page) };
}

// The provider page's own CSP: scripts from the bridge only.
function assertStrictCsp(response) {
  const csp = response.headers()['content-security-policy'] ?? '';
  const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? '';
  assert.equal(scriptSrc.trim(), env.CERTME_SERVER_PUBLIC_URL, `script-src: ${csp}`);
  assert.match(csp, /default-src 'none'/);
}

// `certme wallet approve` on a screenshot of the element's QR code, as a
// phone scans the provider's screen.
async function scanAndAnswer(page, name, answer) {
  const qr = page.getByRole('img', { name: 'QR code' });
  await qr.waitFor({ timeout: 15000 });
  const png = path.join(artifacts, `device-login-${name}-qr.png`);
  await qr.screenshot({ path: png });
  const r = await world.wallet(['approve', png, answer], { env: { LANG: 'en_GB.UTF-8', LC_ALL: '' } });
  assert.equal(r.code, 0, `certme wallet approve ${answer}:\n${r.out}\n${demo.logTail()}`);
  return r.out;
}

const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `device-login-${name}.png`), fullPage: true });

test('approved in the wallet from the QR code on the provider\'s page: the provider signs the user in', async () => {
  const { context, page, record, seen } = await providerPage('ro-RO');
  const response = await page.goto(`${env.SAMPLE_URL}/qr?lang=ro`);
  assertStrictCsp(response);
  const button = page.getByRole('button', { name: 'Conectare cu certME' });
  await button.waitFor({ timeout: 15000 });
  await shot(page, '1-button');
  await button.click();
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 15000 });
  // The page shows what a login page shows: the wallet's same-device link,
  // the user code, the countdowns, the state in words.
  const same = page.getByRole('link', { name: 'Deschide portofelul certME pe acest dispozitiv' });
  assert.match(await same.getAttribute('href'), /\/wallet\/v1\/l\/[A-Za-z0-9_-]{43}$/);
  assert.match(await page.locator('certme-login .usercode').innerText(), /^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
  assert.equal(await page.getByRole('status').innerText(), catalogue('ro').login_state_waiting);
  await shot(page, '2-qr');
  const prompt = await scanAndAnswer(page, 'approve', '--yes');
  assert.match(prompt, /Demo service \(demo-rp\)|Serviciul demonstrativ/);
  // The element goes on by itself: the bridge's done, then the provider's
  // complete URL, where the backend's poll has the tokens.
  await page.getByRole('heading', { name: 'Bine ați venit, Ion Popescu!' }).waitFor({ timeout: 40000 });
  assert.equal(page.url(), `${env.SAMPLE_URL}/`);
  const rows = Object.fromEntries((await page.locator('body > table tr').allInnerTexts()).map((r) => r.split('\t')));
  assert.equal(rows.Prenume, 'Ion');
  assert.equal(rows.Nume, 'Popescu');
  assert.equal(rows['Data nașterii'], '12 aprilie 1985');
  await shot(page, '3-signed-in');
  // The states in their order: waiting first, done last, the wallet's
  // progress between (the long-poll may merge steps that follow at once).
  const order = ['starting', 'waiting', 'opened', 'approved', 'validating', 'done'];
  console.log(`${kName}: states seen: ${record.states.join(' → ')}`);
  assert.equal(record.states[0], 'starting');
  assert.equal(record.states[1], 'waiting');
  assert.equal(record.states.at(-1), 'done');
  const ranks = record.states.map((s) => order.indexOf(s));
  assert.ok(ranks.every((r, i) => r >= 0 && (i === 0 || r > ranks[i - 1])), record.states.join(' → '));
  assert.ok(record.states.some((s) => ['opened', 'approved', 'validating'].includes(s)), record.states.join(' → '));
  assert.deepEqual(record.violations, []);
  assert.deepEqual(record.console, []);
  assert.deepEqual(await leakProblems(seen, page), []);
  await context.close();
});

test('refused in the wallet: the element says so and Try again draws a new QR code', async () => {
  const { context, page, record } = await providerPage('en-GB');
  const response = await page.goto(`${env.SAMPLE_URL}/qr?lang=en`);
  assertStrictCsp(response);
  const button = page.getByRole('button', { name: 'Sign in with certME' });
  await button.waitFor({ timeout: 15000 });
  // From the keyboard: the button takes the focus and Enter presses it.
  await page.keyboard.press('Tab');
  for (let i = 0; i < 10 && !(await button.evaluate((b) => b.matches(':focus'))); i++) await page.keyboard.press('Tab');
  assert.ok(await button.evaluate((b) => b.matches(':focus')), 'the button is not reachable with Tab');
  await page.keyboard.press('Enter');
  const first = await page.getByRole('link', { name: 'Open the certME wallet on this device' }).getAttribute('href', { timeout: 15000 });
  await scanAndAnswer(page, 'refuse', '--refuse');
  await page.getByRole('status').filter({ hasText: 'You refused to sign in.' }).waitFor({ timeout: 30000 });
  assert.equal(await page.locator('certme-login').getAttribute('data-state'), 'refused');
  assert.equal(await page.getByRole('img', { name: 'QR code' }).count(), 0);
  await shot(page, '4-refused');
  const retry = page.getByRole('button', { name: 'Try again' });
  await retry.click();
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 15000 });
  const second = await page.getByRole('link', { name: 'Open the certME wallet on this device' }).getAttribute('href');
  assert.notEqual(second, first, 'Try again showed the old login');
  assert.equal(await page.getByRole('status').innerText(), catalogue('en').login_state_waiting);
  await shot(page, '5-try-again');
  // The new login is ended too (nothing is left waiting at the bridge).
  await scanAndAnswer(page, 'refuse-again', '--refuse');
  await page.getByRole('status').filter({ hasText: 'You refused to sign in.' }).waitFor({ timeout: 30000 });
  assert.deepEqual(record.violations, []);
  assert.deepEqual(record.console, []);
  await context.close();
});

test('the bridge serves the element to any origin with a validator, and its status URI holds no secret', async () => {
  const r = await fetch(`${env.CERTME_SERVER_PUBLIC_URL}/certme-login.js`, { headers: { origin: env.SAMPLE_URL } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  const etag = r.headers.get('etag');
  await r.text();
  const again = await fetch(`${env.CERTME_SERVER_PUBLIC_URL}/certme-login.js`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  await again.arrayBuffer();
  const unknown = await fetch(`${env.CERTME_SERVER_PUBLIC_URL}/device/status?h=${'A'.repeat(43)}`);
  assert.deepEqual(await unknown.json(), { state: 'unknown', code_expires_in: 0, login_expires_in: 0 });
  const discovery = await (await fetch(`${env.CERTME_SERVER_PUBLIC_URL}/.well-known/openid-configuration`)).json();
  assert.equal(discovery.device_authorization_endpoint, `${env.CERTME_SERVER_PUBLIC_URL}/device_authorization`);
});
