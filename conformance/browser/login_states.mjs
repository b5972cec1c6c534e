#!/usr/bin/env node
// Every state of the wallet login page, as a user meets it, in headless
// Chromium on a desktop (1280×800) and a phone (390×844) screen, in
// Romanian, Russian and English: waiting for the scan (countdown, the
// same-device button first on the phone), the wallet opened the request,
// refusal with Try again and the way back to the service, the QR code
// renewed until the login's lifetime ends and then expiry, the validator
// silent (its "confirming" state, its timeout page, Try again), a suspended
// eID, an unknown login, an early "Continue" with and without JavaScript,
// the language switcher remembered, the 404 page and the start page.
// Every text is checked against the catalogues (templates/i18n/), every
// screenshot kept, every page shown checked with axe-core (no serious or
// critical violation).
//
//   node conformance/browser/login_states.mjs --certme build/certme [--artifacts DIR]
//
// The service is a small relying party in this process (its callback
// shows what the bridge answered); the wallet is `certme wallet approve`
// given the page's same-device link. Fails, never skips, when
// playwright-core, axe-core or Chromium is missing.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Proc, cleanEnv, freePort, runDeadline, runOk, tempDir, waitFor } from './lib/procs.mjs';
import { seriousViolations } from './lib/axe.mjs';
import { launchBrowser, leakProblems, watchPages } from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const kName = 'conformance.browser_login_states';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const certmeArg = opt('certme', process.env.CERTME_BIN);
if (!certmeArg) {
  console.error(`${kName}: usage: login_states.mjs --certme PATH [--artifacts DIR]`);
  process.exit(1);
}
const certme = path.resolve(certmeArg);
if (!fs.existsSync(certme)) {
  console.error(`${kName}: certme binary not found at ${certme} (build the certme target first)`);
  process.exit(1);
}

// The validator's deadline in this run (the timeout journeys wait for it).
const kAnswerTimeoutSeconds = 6;
// The short-lived bridge: the smallest lifetimes the configuration allows.
const kShortCodeSeconds = 30;
const kShortLoginSeconds = 60;
// Normally about three minutes; a loaded machine takes much longer.
runDeadline(900000, kName);

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');

const work = tempDir('certme-states-');
const artifacts = path.resolve(opt('artifacts', path.join(work, 'artifacts')));
fs.mkdirSync(artifacts, { recursive: true });
console.log(`${kName}: screenshots in ${artifacts}`);

// The page texts, from the catalogues the bridge compiles in.
const T = Object.fromEntries(['ro', 'ru', 'en'].map((l) =>
  [l, JSON.parse(fs.readFileSync(path.join(repo, 'templates', 'i18n', `${l}.json`), 'utf8'))]));
const kLangs = ['ro', 'ru', 'en'];
const kViewports = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
// Every language on every screen: [lang, viewport] pairs.
const kEveryScreen = kLangs.flatMap((lang) => Object.keys(kViewports).map((vp) => [lang, vp]));
// How each language reaches the bridge: a Romanian browser with nothing
// asked, a Russian browser (Accept-Language only), and a Romanian browser
// whose service asks for English (ui_locales beats the browser).
const kHow = {
  ro: { locale: 'ro-RO', uiLocales: null },
  ru: { locale: 'ru-RU', uiLocales: null },
  en: { locale: 'ro-RO', uiLocales: 'en' },
};

const users = {
  ion: ['first_name=Ion', 'last_name=Popescu', 'birth_date=1985-04-12', 'gender=1', 'language=ro',
    'email=ion.popescu@example.md', 'idnp=2001234567890'],
  maria: ['first_name=Maria', 'last_name=Rusu', 'birth_date=1990-01-31', 'gender=2', 'language=ro',
    'email=maria.rusu@example.md', 'idnp=2009876543210'],
  vasile: ['first_name=Vasile', 'last_name=Ceban', 'birth_date=1979-11-02', 'gender=1', 'language=ru',
    'email=vasile.ceban@example.md', 'idnp=2005555555555'],
};

let env;
let ledger;
let validator;
let bridge;       // default lifetimes
let shortBridge;  // 30 s codes, 60 s logins
let rp;
let browser;
const addresses = {};

const certmeRun = (argv, extra = {}) => runOk(certme, argv, { cwd: work, env: cleanEnv({ ...env, ...extra }) });
const walletFile = (user) => path.join(work, `wallet-${user}.json`);

function wallet(user, link, choice) {
  return new Promise((resolve) => {
    execFile(certme, ['wallet', 'approve', link, choice, '--wallet', walletFile(user)],
      { cwd: work, env: cleanEnv(env), timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, out: stdout + stderr }));
  });
}

// The relying party: its callback shows the bridge's answer.
async function startRp() {
  const port = await freePort();
  const seen = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${port}`);
    seen.push(url);
    const rows = [...url.searchParams].map(([k, v]) => `<tr><th>${k}</th><td id="${k}">${v.replace(/[<&]/g, '')}</td></tr>`);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html lang="en"><head><title>Test service</title></head><body><h1>Test service</h1><table>${rows.join('')}</table></body></html>`);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { port, seen, callback: `http://127.0.0.1:${port}/cb`, stop: () => new Promise((r) => server.close(r)) };
}

async function startBridge(name, extra) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const p = new Proc(name, certme, ['idp'], {
    cwd: work,
    env: cleanEnv({
      ...env,
      CERTME_SERVER_PORT: String(port),
      CERTME_SERVER_PUBLIC_URL: base,
      CERTME_STORE_SQLITE_PATH: path.join(work, `${name}.db`),
      CERTME_LOGIN_DEV_LOGIN: 'false',
      CERTME_LOGIN_WALLET_LOGIN: 'true',
      CERTME_LOGIN_WALLET_KEY_FILE: path.join(work, 'keys', `${name}-wallet-login.key`),
      CERTME_OIDC_DEV_CLIENTS_FILE: path.join(work, 'clients.yaml'),
      CERTME_OIDC_CLAIMS_FILE: path.join(repo, 'config', 'claims.yaml'),
      CERTME_KEYS_DEV_KEY_DIR: path.join(work, `${name}-dev-keys`),
      ...extra,
    }),
  });
  p.url = base;
  await waitFor(`${name} to answer /healthz`, async () => {
    if (p.exit) throw new Error(`certme idp exited: ${p.logTail()}`);
    const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return r.status === 200;
  }, 30000);
  return p;
}

before(async () => {
  env = {
    CERTME_WALLET_PASSPHRASE: 'correct horse battery staple',
    CERTME_LEDGER_VALIDATOR_KEY_FILE: path.join(work, 'keys', 'validator.key'),
    CERTME_LEDGER_PROVIDER_KEY_FILE: path.join(work, 'keys', 'provider.key'),
    CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS: String(kAnswerTimeoutSeconds),
  };
  const backend = await import(pathToFileURL(path.join(here, 'ledgers', 'embedded.mjs')).href);
  ledger = await backend.start({
    certme, work,
    run: (bin, argv, fragment) => runOk(bin, argv, { cwd: work, env: cleanEnv({ ...env, ...fragment }) }),
  });
  Object.assign(env, ledger.env);
  const validatorAddr = certmeRun(['ledger', 'keygen', '--out', env.CERTME_LEDGER_VALIDATOR_KEY_FILE]);
  const providerAddr = certmeRun(['ledger', 'keygen', '--out', env.CERTME_LEDGER_PROVIDER_KEY_FILE]);
  certmeRun(['admin', 'authorize-validator', validatorAddr]);
  certmeRun(['admin', 'authorize-provider', providerAddr]);
  for (const [user, attrs] of Object.entries(users)) {
    addresses[user] = certmeRun(['wallet', 'create', '--wallet', walletFile(user)]);
    const enrollment = path.join(work, `enrollment-${user}.json`);
    certmeRun(['validator', 'enroll', '--user', addresses[user], ...attrs.flatMap((a) => ['--attr', a]),
      '--out', enrollment]);
    const consent = path.join(work, `enrolment-${user}.sig`);
    certmeRun(['wallet', 'approve-enrolment', enrollment, '--wallet', walletFile(user), '--out', consent]);
    certmeRun(['validator', 'issue', enrollment, '--consent', consent]);
    certmeRun(['wallet', 'import', enrollment, '--wallet', walletFile(user)]);
  }
  validator = new Proc('validator', certme, ['validator', 'serve'], { cwd: work, env: cleanEnv(env) });
  rp = await startRp();
  fs.writeFileSync(path.join(work, 'clients.yaml'), `clients:
  - client_id: states-rp
    client_secret: states-rp-${crypto.randomBytes(16).toString('hex')}
    names: {ro: "Serviciul de test", ru: "Тестовый сервис", en: "Test service"}
    redirect_uris: ["${rp.callback}"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name]
`);
  bridge = await startBridge('bridge', {});
  shortBridge = await startBridge('short', {
    CERTME_LOGIN_CODE_TTL_SECONDS: String(kShortCodeSeconds),
    CERTME_LOGIN_TRANSACTION_TTL_SECONDS: String(kShortLoginSeconds),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await shortBridge?.stop();
  await bridge?.stop();
  await validator?.stop();
  await rp?.stop();
  await ledger?.stop();
  if (process.env.CERTME_CONFORMANCE_KEEP) console.log(`${kName}: kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

function logs() {
  return [bridge, shortBridge, validator].filter(Boolean).map((p) => `--- ${p.name}\n${p.logTail(15)}`).join('\n');
}

const snap = (page, name) => page.screenshot({ path: path.join(artifacts, `states-${name}.png`), fullPage: true });
// Every state shown is screenshotted and checked with axe-core: no serious
// or critical accessibility violation.
async function shot(page, name) {
  await snap(page, name);
  assert.deepEqual(await seriousViolations(page), [], `${name}: accessibility (axe-core)`);
}

function authorizeUrl(server, lang) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: 'states-rp', redirect_uri: rp.callback, scope: 'openid profile',
    state: `st-${crypto.randomBytes(6).toString('hex')}`, nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  if (kHow[lang].uiLocales) q.set('ui_locales', kHow[lang].uiLocales);
  return `${server.url}/authorize?${q}`;
}

// Pages are kept for reuse, one browser context each, per screen,
// language and JavaScript setting: a new context costs Chromium a renderer
// process (about a second of CPU), and this test opens some forty
// journeys. A page is handed to one journey at a time and comes back with
// its cookies cleared, on about:blank; the HTTP cache is off, so every
// journey loads every resource as a new browser would (the pages keep
// nothing in web storage). `done()` hands it back.
const idlePages = new Map();

async function newPage(lang, vp, { javaScriptEnabled = true } = {}) {
  const key = `${lang}/${vp}/${javaScriptEnabled}`;
  if (!idlePages.has(key)) idlePages.set(key, []);
  let held = idlePages.get(key).pop();
  if (!held) {
    const context = await browser.newContext({ ...kViewports[vp], locale: kHow[lang].locale, javaScriptEnabled });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    held = { context, page };
  }
  const { context, page } = held;
  const seen = watchPages(page);
  const done = async () => {
    seen.stop();
    await page.goto('about:blank');
    await context.clearCookies();
    idlePages.get(key).push(held);
  };
  return { context, page, seen, done };
}

const bodyText = async (page) => (await page.locator('body').innerText()).replace(/\s+/g, ' ');
const loginState = (page) => page.evaluate(() => document.body.getAttribute('data-login-state'));

// Opens a login at `server` and checks the waiting page: language, title,
// countdown, the order of the two ways on this screen, no sideways scroll.
async function openLogin(server, lang, vp, name) {
  const { context, page, seen, done } = await newPage(lang, vp);
  await page.goto(authorizeUrl(server, lang), { timeout: 30000 });
  assert.ok(page.url().startsWith(`${server.url}/login/wallet?`), `not on the login page: ${page.url()}`);
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
  assert.equal(await page.getAttribute('html', 'lang'), lang);
  assert.equal(await page.title(), T[lang].login_title);
  await page.getByRole('heading', { name: T[lang].login_title }).waitFor({ timeout: 5000 });
  assert.equal(await loginState(page), 'waiting');
  assert.equal((await page.locator('#status').innerText()).trim(), T[lang].login_state_waiting);
  assert.match(await page.locator('#countdown').innerText(), new RegExp(`^${T[lang].login_countdown} \\d+:\\d\\d$`));
  // The no-JS hint is for pages without JavaScript only.
  assert.equal(await page.getByText(T[lang].login_nojs).isVisible(), false);
  const qr = await page.locator('#qr').boundingBox();
  const device = await page.locator('#deeplink').boundingBox();
  if (vp === 'phone') assert.ok(device.y < qr.y, `phone: the same-device button (y ${device.y}) is not above the QR code (y ${qr.y})`);
  else assert.ok(qr.y < device.y, `desktop: the QR code (y ${qr.y}) is not above the same-device button (y ${device.y})`);
  const width = kViewports[vp].viewport.width;
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= width, `the page is ${scrollWidth} px wide on a ${width} px screen`);
  if (name) await shot(page, `${name}-1-waiting`);
  return { context, page, seen, done };
}

const link = (page) => page.locator('#deeplink').getAttribute('href');

async function assertNoLeaks(seen, page) {
  assert.deepEqual(await leakProblems(seen, page), [], 'a page shows internal detail');
}

// The outcome page in the error layout: what happened, what to do, the
// request id; `ways` lists the buttons it must (and must only) offer.
async function assertOutcome(page, lang, message, todo, ways, timeout = 30000) {
  await page.getByText(T[lang][message]).first().waitFor({ timeout });
  assert.equal(await page.getAttribute('html', 'lang'), lang);
  assert.ok((await bodyText(page)).includes(T[lang][todo]), `no "${todo}" text`);
  assert.match(await page.locator('#request-id').innerText(), /^\S{6,}$/);
  assert.equal(await page.locator('#retry').count(), ways.includes('retry') ? 1 : 0, 'Try again');
  assert.equal(await page.locator('#back').count(), ways.includes('back') ? 1 : 0, 'back to the service');
  if (ways.includes('retry')) await page.getByRole('button', { name: T[lang].login_retry }).waitFor();
  if (ways.includes('back')) await page.getByRole('link', { name: T[lang].login_back }).waitFor();
}

async function guarded(name, page, fn) {
  try {
    await fn();
  } catch (err) {
    await snap(page, `${name}-failed`).catch(() => {});
    err.message += `\n${logs()}`;
    throw err;
  }
}

test('the renewal and expiry journeys start (the last test collects them)', () => {
  // A rejection is kept, not left unhandled, until the last test reports it.
  expiryJourneys = startExpiryJourneys().then(() => null, (err) => err);
});

test('every language and screen at once: waiting → opened → refused → Try again (same language, new code)', async () => {
  // The six journeys are independent logins: run together, their waits overlap.
  await Promise.all(kLangs.flatMap((lang) => Object.keys(kViewports).map(async (vp) => {
    const name = `${lang}-${vp}`;
    const { page, seen, done } = await openLogin(bridge, lang, vp, name);
    await guarded(name, page, async () => {
      // The wallet fetches the request document: the page says so.
      const code = (await link(page)).split('/l/')[1];
      const doc = await fetch(`${bridge.url}/wallet/v1/requests/${code}`, { headers: { Accept: 'application/json' } });
      assert.equal(doc.status, 200);
      await page.waitForFunction(() => document.body.getAttribute('data-login-state') === 'opened', null, { timeout: 10000 });
      assert.equal((await page.locator('#status').innerText()).trim(), T[lang].login_state_opened);
      await shot(page, `${name}-2-opened`);
      // Continue pressed early: the page stays and says why.
      const before = page.url();
      await page.getByRole('button', { name: T[lang].login_continue }).click();
      assert.equal((await page.locator('#status').innerText()).trim(), T[lang].login_not_yet);
      assert.equal(page.url(), before);
      const r = await wallet('ion', await link(page), '--refuse');
      assert.equal(r.code, 0, `certme wallet approve --refuse failed:\n${r.out}`);
      await assertOutcome(page, lang, 'login_refused', 'login_todo_refused', ['retry', 'back']);
      await shot(page, `${name}-3-refused`);
      const old = await link(page).catch(() => '');
      await page.getByRole('button', { name: T[lang].login_retry }).click();
      await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
      assert.equal(await page.getAttribute('html', 'lang'), lang, 'Try again changed the language');
      assert.equal(await loginState(page), 'waiting');
      assert.notEqual(await link(page), old);
      await page.getByText(T[lang].login_intro).waitFor();
      await shot(page, `${name}-4-again`);
      await assertNoLeaks(seen, page);
    });
    await done();
  })));
});

test('refusal, back to the service: the client gets access_denied with its state', async () => {
  const { page, done } = await openLogin(bridge, 'ru', 'desktop');
  await guarded('back', page, async () => {
    const r = await wallet('ion', await link(page), '--refuse');
    assert.equal(r.code, 0, r.out);
    await assertOutcome(page, 'ru', 'login_refused', 'login_todo_refused', ['retry', 'back']);
    await page.getByRole('link', { name: T.ru.login_back }).click();
    await page.waitForURL((u) => u.href.startsWith(rp.callback), { timeout: 15000 });
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('error'), 'access_denied');
    assert.match(q.get('state'), /^st-/);
    await snap(page, 'ru-desktop-5-back-to-service');
  });
  await done();
});

// The renewal and expiry journeys wait out the short bridge's lifetimes
// (about 75 s); they start with the first test and run beside the others
// (they use only the short bridge), and the last test collects them.
let expiryJourneys;
function startExpiryJourneys() {
  // Every language and screen at once: the waits overlap.
  return Promise.all(kLangs.flatMap((lang) => Object.keys(kViewports).map(async (vp) => {
    const name = `${lang}-${vp}-expiry`;
    const { page, seen, done } = await openLogin(shortBridge, lang, vp);
    await guarded(name, page, async () => {
      const txn = new URL(page.url()).searchParams.get('txn');
      // The code as shown, read at once (the renewal may come any moment).
      const [first, firstQr, renewals] = await page.evaluate(() => [document.getElementById('deeplink').href,
        document.getElementById('qr').innerHTML, document.body.getAttribute('data-renewals')]);
      assert.equal(renewals, null, 'renewed before the first look: the machine is too slow for this journey');
      await snap(page, `${name}-1-waiting`);
      await page.waitForFunction(() => document.body.getAttribute('data-renewals') === '1', null,
        { timeout: (kShortCodeSeconds + 15) * 1000 });
      assert.notEqual(await link(page), first, 'the same-device link kept the old code');
      assert.notEqual(await page.locator('#qr').innerHTML(), firstQr, 'the QR code was not redrawn');
      assert.equal(new URL(page.url()).searchParams.get('txn'), txn, 'a renewal must keep the login');
      assert.equal((await page.locator('#status').innerText()).trim(), T[lang].login_state_renewing);
      await shot(page, `${name}-2-renewed`);
      // The old code is dead for the wallet: the login has a new one.
      const old = first.split('/l/')[1];
      const dead = await fetch(`${shortBridge.url}/wallet/v1/requests/${old}`);
      assert.equal(dead.status, 404);
      assert.equal((await dead.json()).error, 'unknown_code');
      // The login's end: the page moves to the expired page by itself.
      await assertOutcome(page, lang, 'login_expired', 'login_todo_unknown', [], (kShortLoginSeconds + 15) * 1000);
      await page.locator('#home').waitFor();
      await shot(page, `${name}-3-expired`);
      // The status endpoint answers at once for it.
      const t0 = Date.now();
      const s = await (await fetch(`${shortBridge.url}/login/wallet/status?txn=${encodeURIComponent(txn)}&state=waiting`)).json();
      assert.equal(s.state, 'expired');
      assert.ok(Date.now() - t0 < 2000, 'the status of an expired login was held');
      await assertNoLeaks(seen, page);
    });
    await done();
  })));
}

test('unknown login: the status answers at once, the page says so with a way on, in the browser\'s language', async () => {
  for (let i = 0; i < kEveryScreen.length; i += 1) {
    const t0 = Date.now();
    const s = await fetch(`${bridge.url}/login/wallet/status?txn=bogus&state=waiting`);
    assert.deepEqual(await s.json(), { state: 'unknown', code_expires_in: 0, login_expires_in: 0 });
    assert.ok(Date.now() - t0 < 2000);
  }
  // Every language and screen at once.
  await Promise.all(kEveryScreen.map(async ([lang, vp]) => {
    const { page, done } = await newPage(lang, vp);
    const q = lang === 'en' ? '&lang=en' : '';
    const resp = await page.goto(`${bridge.url}/login/wallet?txn=bogus${q}`);
    assert.equal(resp.status(), 400);
    await assertOutcome(page, lang, 'login_unknown', 'login_todo_unknown', []);
    await page.getByRole('link', { name: T[lang].error_home }).waitFor();
    await shot(page, `${lang}-${vp}-unknown`);
    await done();
  }));
});

test('validator silent: "confirming your data", then its timeout page, then Try again in the same language', async () => {
  const stopped = await validator.stop();
  assert.equal(stopped.killed, false);
  // Every language and screen at once: their validator waits overlap.
  await Promise.all(kEveryScreen.map(async ([lang, vp]) => {
    const name = `${lang}-${vp}-timeout`;
    const { page, seen, done } = await openLogin(bridge, lang, vp, name);
    await guarded(name, page, async () => {
      const answer = wallet('vasile', await link(page), '--yes');
      await page.waitForFunction(() => document.body.getAttribute('data-login-state') === 'validating', null, { timeout: 30000 });
      assert.equal((await page.locator('#status').innerText()).trim(), T[lang].login_state_validating);
      await shot(page, `${name}-2-validating`);
      await assertOutcome(page, lang, 'login_timeout', 'login_todo_timeout', ['retry', 'back']);
      const status = await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.responseStatus);
      assert.equal(status, 504);
      await shot(page, `${name}-3-timeout`);
      assert.notEqual((await answer).code, 0);
      await page.getByRole('button', { name: T[lang].login_retry }).click();
      await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(await loginState(page), 'waiting');
      await shot(page, `${name}-4-again`);
      await assertNoLeaks(seen, page);
    });
    await done();
  }));
});

test('suspended eID: its own page, the way back to the service, no Try again', async () => {
  certmeRun(['admin', 'suspend-eid', addresses.maria]);
  try {
    await Promise.all(kEveryScreen.map(async ([lang, vp]) => {
      const name = `${lang}-${vp}-suspended`;
      const { page, seen, done } = await openLogin(bridge, lang, vp, name);
      await guarded(name, page, async () => {
        const r = await wallet('maria', await link(page), '--yes');
        assert.notEqual(r.code, 0);
        await assertOutcome(page, lang, 'login_suspended', 'login_todo_suspended', ['back']);
        await shot(page, `${name}-2-suspended`);
        await assertNoLeaks(seen, page);
      });
      await done();
    }));
  } finally {
    certmeRun(['admin', 'reactivate-eid', addresses.maria]);
  }
});

test('keyboard only: Tab reaches every control of the login page, Enter on Try again starts a new login', async () => {
  const { page, done } = await openLogin(bridge, 'ro', 'desktop');
  await guarded('keyboard', page, async () => {
    // Tab through the waiting page: the same-device link, Continue and the
    // language links are each reached, and each shows where the focus is.
    const reached = new Set();
    for (let i = 0; i < 25; i += 1) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        const visible = style.outlineStyle !== 'none' || style.boxShadow !== 'none';
        return { id: el.id, text: (el.innerText || el.value || '').trim(), tag: el.tagName, visible };
      });
      if (!f) continue;
      assert.ok(f.visible, `no visible focus on ${f.tag} "${f.text}"`);
      reached.add(f.id || f.text);
    }
    assert.ok(reached.has('deeplink'), `the same-device link is not reachable: ${[...reached].join(', ')}`);
    assert.ok(reached.has('continue'), `Continue is not reachable: ${[...reached].join(', ')}`);
    assert.ok(reached.has('RU') && reached.has('EN'), `the language links are not reachable: ${[...reached].join(', ')}`);
    const r = await wallet('ion', await link(page), '--refuse');
    assert.equal(r.code, 0, r.out);
    await assertOutcome(page, 'ro', 'login_refused', 'login_todo_refused', ['retry', 'back']);
    const old = await link(page).catch(() => '');
    let onRetry = false;
    for (let i = 0; i < 15 && !onRetry; i += 1) {
      await page.keyboard.press('Tab');
      onRetry = await page.evaluate(() => document.activeElement?.id === 'retry');
    }
    assert.ok(onRetry, 'Try again is not reachable with Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
    assert.equal(await loginState(page), 'waiting');
    assert.notEqual(await link(page), old);
  });
  await done();
});

test('JavaScript off: the hint is there, "Continue" pressed early shows the page again with why', async () => {
  await Promise.all([['ro', 'desktop'], ['ru', 'phone']].map(async ([lang, vp]) => {
    const { page, done } = await newPage(lang, vp, { javaScriptEnabled: false });
    await page.goto(authorizeUrl(bridge, lang));
    await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
    // The hint is inside <noscript> (Chromium's switch for tests turns off
    // script execution, not the parser's scripting flag, so it is read
    // from the markup rather than seen).
    const noscript = await page.locator('noscript').evaluateAll((els) => els.map((e) => e.textContent).join(' '));
    assert.ok(noscript.includes(T[lang].login_nojs), `no-JS hint missing: ${noscript}`);
    await page.getByRole('button', { name: T[lang].login_continue }).click();
    await page.getByText(T[lang].login_not_yet).waitFor({ timeout: 10000 });
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    // axe-core runs in the page: not with JavaScript off.
    await snap(page, `${lang}-${vp}-nojs-early`);
    await done();
  }));
});

test('language switcher: the choice is remembered on every page, the 404 included', async () => {
  const { context, page, done } = await openLogin(bridge, 'ro', 'desktop');
  await page.getByRole('link', { name: 'RU' }).click();
  await page.getByRole('heading', { name: T.ru.login_title }).waitFor({ timeout: 10000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  const cookies = await context.cookies(bridge.url);
  assert.equal(cookies.find((c) => c.name === 'certme_lang')?.value, 'ru');
  // The browser says Romanian; the remembered choice wins.
  const resp = await page.goto(`${bridge.url}/no/such/page`);
  assert.equal(resp.status(), 404);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  await page.getByText(T.ru.not_found).waitFor();
  await done();
});

test('404 and the start page: in the browser\'s language, a way on, the request id, a correct title', async () => {
  // Every language and screen at once.
  await Promise.all(kEveryScreen.map(async ([lang, vp]) => {
    const { page, seen, done } = await newPage(lang, vp);
    const q = lang === 'en' ? '?lang=en' : '';
    const resp = await page.goto(`${bridge.url}/no/such/page${q}`);
    assert.equal(resp.status(), 404);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.equal(await page.title(), T[lang].not_found_title);
    await page.getByText(T[lang].not_found_todo).waitFor();
    await page.getByRole('link', { name: T[lang].error_home }).waitFor();
    assert.equal(await page.locator('#request-id').innerText(), resp.headers()['x-request-id']);
    await shot(page, `${lang}-${vp}-404`);
    await page.getByRole('link', { name: T[lang].error_home }).click();
    await page.waitForURL(`${bridge.url}/`);
    assert.equal(await page.title(), T[lang].home_title);
    assert.equal(await page.locator('#discovery').innerText(), `${bridge.url}/.well-known/openid-configuration`);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= kViewports[vp].viewport.width, `the start page is ${scrollWidth} px wide`);
    await shot(page, `${lang}-${vp}-home`);
    await assertNoLeaks(seen, page);
    await done();
  }));
});

test('QR code renewed by itself (new code, same login) until the login\'s lifetime ends, then the expired page', async () => {
  assert.ok(expiryJourneys, 'the journeys were never started');
  const err = await expiryJourneys;
  if (err) throw err;
});
