#!/usr/bin/env node
// Wallet login in a real browser behind a real relying party: headless
// Chromium (playwright-core, the Debian chromium binary) opens a page of
// Apache httpd protected by mod_auth_openidc, lands on the bridge's
// "Conectare cu certME" page, the reference wallet (`certme wallet approve`)
// reads the QR code from the browser's screenshot, and the page continues by
// itself (long-poll) back to Apache, which shows the validated claims. Also:
// the user refuses, the eID is suspended or revoked, the validator does not answer.
//
//   node conformance/browser/journey.mjs --certme build/certme \
//        [--ledger conformance/browser/ledgers/embedded.mjs] [--artifacts DIR]
//
// --ledger names the ledger backend module (see ledgers/embedded.mjs); the
// screenshots go to --artifacts (default: a folder in the run's temporary
// directory), named after the backend. Fails, never skips, when playwright-core,
// Chromium, Apache with mod_auth_openidc or zbarimg is missing.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Apache, apacheMissing } from './lib/apache.mjs';
import { Proc, cleanEnv, freePort, run, runDeadline, runOk, tempDir, waitFor, withLogs } from './lib/procs.mjs';
import { launchBrowser, leakProblems, watchPages } from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const kName = 'conformance.browser';

function usageFail(message) {
  console.error(`${kName}: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const certmeArg = opt('certme', process.env.CERTME_BIN);
if (!certmeArg) usageFail('usage: journey.mjs --certme PATH [--ledger MODULE] [--artifacts DIR]');
const certme = path.resolve(certmeArg);
if (!fs.existsSync(certme)) usageFail(`certme binary not found at ${certme} (build the certme target first)`);
const ledgerModule = path.resolve(opt('ledger', path.join(here, 'ledgers', 'embedded.mjs')));
const ledgerName = path.basename(ledgerModule, '.mjs');
const missing = apacheMissing();
if (missing) usageFail(`${missing} is missing (Debian apache2, libapache2-mod-auth-openidc; scripts/deps installs them)`);
if (run('sh', ['-c', 'command -v zbarimg']).code !== 0) usageFail('zbarimg is missing (Debian zbar-tools)');

// Small on purpose: the timeout journey waits this long. Every other login
// needs the validator to answer within it, which it does in well under a
// second on the embedded ledger; a backend module may set its own
// CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS.
const kAnswerTimeoutSeconds = 6;
// Everything together normally takes 30-40 s; ctest's limit is above this.
runDeadline(170000, kName);

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');

const work = tempDir('certme-browser-');
const artifacts = path.resolve(opt('artifacts', path.join(work, 'artifacts')));
fs.mkdirSync(artifacts, { recursive: true });
console.log(`${kName}: screenshots in ${artifacts}`);

const users = {
  ion: ['first_name=Ion', 'last_name=Popescu', 'birth_date=1985-04-12', 'gender=1', 'language=ro',
    'email=ion.popescu@example.md', 'idnp=2001234567890'],
  maria: ['first_name=Maria', 'last_name=Rusu', 'birth_date=1990-01-31', 'gender=2', 'language=ro',
    'email=maria.rusu@example.md', 'idnp=2009876543210'],
  vasile: ['first_name=Vasile', 'last_name=Ceban', 'birth_date=1979-11-02', 'gender=1', 'language=ru',
    'email=vasile.ceban@example.md', 'idnp=2005555555555'],
};
const client = {
  id: 'apache-rp',
  secret: `apache-rp-${Math.random().toString(36).slice(2)}-0123456789abcdef0123456789`,
};

let env;          // CERTME_* settings every certme process of the run shares
let ledger;
let validator;
let bridge;
let apache;
let browser;
const addresses = {};

const certmeRun = (argv, extra = {}) => runOk(certme, argv, { cwd: work, env: cleanEnv({ ...env, ...extra }) });
const walletFile = (user) => path.join(work, `wallet-${user}.json`);

// `certme wallet approve` without blocking the event loop (the timeout case
// waits on it while watching the browser).
function approve(user, input, choice) {
  return new Promise((resolve) => {
    execFile(certme, ['wallet', 'approve', input, choice, '--wallet', walletFile(user)],
      { cwd: work, env: cleanEnv(env), timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

async function setUp() {
  env = {
    CERTME_WALLET_PASSPHRASE: 'correct horse battery staple',
    CERTME_LEDGER_VALIDATOR_KEY_FILE: path.join(work, 'keys', 'validator.key'),
    CERTME_LEDGER_PROVIDER_KEY_FILE: path.join(work, 'keys', 'provider.key'),
    CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS: String(kAnswerTimeoutSeconds),
  };
  const backend = await import(pathToFileURL(ledgerModule).href);
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
    // The user signs the enrolment before the validator may issue the eID.
    const consent = path.join(work, `enrolment-${user}.sig`);
    certmeRun(['wallet', 'approve-enrolment', enrollment, '--wallet', walletFile(user), '--out', consent]);
    certmeRun(['validator', 'issue', enrollment, '--consent', consent]);
    certmeRun(['wallet', 'import', enrollment, '--wallet', walletFile(user)]);
  }
  validator = new Proc('validator', certme, ['validator', 'serve'], { cwd: work, env: cleanEnv(env) });

  apache = await Apache.reserve();
  fs.writeFileSync(path.join(work, 'clients.yaml'), `clients:
  - client_id: ${client.id}
    client_secret: ${client.secret}
    names: {ro: "Serviciul Apache de test", ru: "Тестовый сервис Apache", en: "Apache test service"}
    redirect_uris: ["${apache.redirectUri}"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile, email]
    attributes: [first_name, last_name, birth_date, gender, language, email]
    # Debian 12's mod_auth_openidc 2.4.12 takes a redirect-URI request with
    # iss and no code for a third-party-initiated login, so an error
    # response with the RFC 9207 iss never reaches its error handling
    # (docs/oidc.md, authorization_response_iss).
    authorization_response_iss: false
`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  Object.assign(env, {
    CERTME_SERVER_PORT: String(port),
    CERTME_SERVER_PUBLIC_URL: base,
    CERTME_STORE_SQLITE_PATH: path.join(work, 'idp.db'),
    CERTME_LOGIN_DEV_LOGIN: 'false',
    CERTME_LOGIN_WALLET_LOGIN: 'true',
    CERTME_LOGIN_WALLET_KEY_FILE: path.join(work, 'keys', 'wallet-login.key'),
    CERTME_OIDC_DEV_CLIENTS_FILE: path.join(work, 'clients.yaml'),
    CERTME_OIDC_CLAIMS_FILE: path.join(repo, 'config', 'claims.yaml'),
    CERTME_KEYS_DEV_KEY_DIR: path.join(work, 'dev-keys'),
  });
  bridge = new Proc('bridge', certme, ['idp'], { cwd: work, env: cleanEnv(env) });
  bridge.url = base;
  await waitFor('the bridge to answer /healthz', async () => {
    if (bridge.exit) throw new Error(`certme idp exited: ${bridge.logTail()}`);
    const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return r.status === 200;
  }, 30000);
  await apache.start({
    discoveryUrl: `${base}/.well-known/openid-configuration`,
    clientId: client.id, clientSecret: client.secret, scopes: 'openid profile email',
  });
  browser = await launchBrowser();
}

async function tearDown() {
  await browser?.close().catch(() => {});
  await apache?.stop();
  await bridge?.stop();
  await validator?.stop();
  await ledger?.stop();
  if (process.env.CERTME_CONFORMANCE_KEEP) console.log(`${kName}: kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}

function logs() {
  return [bridge, validator].filter(Boolean).map((p) => `--- ${p.name}\n${p.logTail(15)}`).join('\n') +
    (apache ? `\n--- apache\n${apache.logTail()}` : '');
}

const shot = async (page, name) => {
  const file = path.join(artifacts, `${ledgerName}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
};

// Opens the protected page in a fresh browser profile; returns the page on
// the bridge's QR page and the screenshot the wallet reads.
async function toLoginPage(name, { javaScriptEnabled = true } = {}) {
  // A Romanian browser: the pages follow Accept-Language when the client names no ui_locales.
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, javaScriptEnabled, locale: 'ro-RO' });
  const page = await context.newPage();
  const seen = watchPages(page);
  await page.goto(apache.protectedUrl, { timeout: 30000 });
  assert.ok(page.url().startsWith(`${bridge.url}/login/wallet?`), `not on the login page: ${page.url()}`);
  // What the user sees, not the markup: the pages may change their layout.
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
  await page.getByRole('heading', { name: 'Conectare cu certME' }).first().waitFor({ timeout: 5000 });
  await page.getByText('Serviciul Apache de test').first().waitFor({ timeout: 5000 });
  const png = await shot(page, `${name}-1-login`);
  return { context, page, seen, png };
}

// Runs `fn` on a fresh browser profile standing on the QR page; a failure
// leaves a screenshot of where the browser was.
async function onLoginPage(name, fn, options) {
  const { context, ...journey } = await toLoginPage(name, options);
  try {
    await fn(journey);
  } catch (err) {
    await shot(journey.page, `${name}-failed`).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

// No page the user saw shows a stack trace or internal detail.
async function assertNoLeaks(seen, page) {
  const problems = await leakProblems(seen, page);
  assert.deepEqual(problems, [], 'a page shows internal detail');
}

const kPageWaitMs = 30000;

// Follows "Înapoi la serviciu" from an outcome page: the bridge answers the
// client at its redirect URI with `error`, its description and state (no
// iss: the client registered with authorization_response_iss: false), and
// the user ends on mod_auth_openidc's error page for it (2.4.12 shows the
// error and its description, with status 200).
async function backToService(page, error, description) {
  const [response] = await Promise.all([
    page.waitForNavigation({ url: (u) => u.href.startsWith(apache.redirectUri), timeout: kPageWaitMs }),
    page.getByRole('link', { name: 'Înapoi la serviciu' }).click(),
  ]);
  const back = new URL(response.url()).searchParams;
  assert.equal(back.get('error'), error);
  assert.equal(back.get('error_description'), description);
  assert.ok(back.get('state'), 'no state in the error response');
  assert.equal(back.has('iss'), false, `iss in the error response: ${response.url()}`);
  assert.equal(response.status(), 200);
  const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ').trim();
  assert.equal(text, `Error: OpenID Connect Provider error: ${error} Description: ${description}`,
    `Apache's page: ${text}`);
}

before(() => withLogs(setUp, logs));
after(tearDown);

test('login: QR page in Chromium, wallet approves the screenshot, Apache shows the validated claims', async () => {
  await onLoginPage('approve', async ({ page, seen, png }) => {
    const answer = await approve('ion', png, '--yes');
    assert.equal(answer.code, 0, `certme wallet approve failed:\n${answer.stderr}${answer.stdout}\n${logs()}`);
    // Nothing is clicked: the page's long-poll takes the browser on.
    await page.waitForURL(apache.protectedUrl, { timeout: kPageWaitMs }).catch((err) => {
      throw new Error(`browser did not reach the protected page (at ${page.url()}): ${err.message}\n${logs()}`);
    });
    await page.locator('#claims').waitFor({ timeout: 5000 });
    const claim = async (name) => (await page.locator(`#claims td.${name}`).allInnerTexts()).join('|');
    assert.equal(await claim('given_name'), 'Ion');
    assert.equal(await claim('family_name'), 'Popescu');
    assert.equal(await claim('birthdate'), '1985-04-12');
    assert.equal(await claim('gender'), 'male');
    assert.equal(await claim('locale'), 'ro');
    assert.equal(await claim('email'), 'ion.popescu@example.md');
    assert.equal(await claim('iss'), bridge.url);
    assert.match(await claim('sub'), /^\S{8,}$/);
    assert.equal(await claim('acr'), 'http://eidas.europa.eu/LoA/substantial');
    // The certme scope was not asked for: no IDNP.
    assert.equal(await claim('idnp'), '');
    await shot(page, 'approve-2-protected');
    await assertNoLeaks(seen, page);
  });
});

test('refusal: the wallet refuses, the page says so, "back to the service" ends at Apache with access_denied', async () => {
  await onLoginPage('refuse', async ({ page, seen, png }) => {
    const answer = await approve('ion', png, '--refuse');
    assert.equal(answer.code, 0, `certme wallet approve --refuse failed:\n${answer.stderr}${answer.stdout}`);
    await page.getByText('Ați refuzat autentificarea.').waitFor({ timeout: kPageWaitMs });
    await shot(page, 'refuse-2-refused');
    await backToService(page, 'access_denied', 'the user refused to log in');
    await shot(page, 'refuse-3-apache-error');
    await assertNoLeaks(seen, page);
  });
});

test('suspended eID: the wallet\'s answer is refused, the page says the eID is suspended, "back to the service" ends at Apache with access_denied', async () => {
  certmeRun(['admin', 'suspend-eid', addresses.maria]);
  await onLoginPage('suspended', async ({ page, seen, png }) => {
    const status = page.waitForResponse((r) => r.url().includes('/login/wallet/continue'), { timeout: kPageWaitMs });
    const answer = await approve('maria', png, '--yes');
    assert.notEqual(answer.code, 0, 'the wallet was told a suspended eID logged in');
    await page.getByText('eID-ul dumneavoastră este suspendat.').waitFor({ timeout: kPageWaitMs });
    assert.equal((await status).status(), 403);
    await shot(page, 'suspended-2-page');
    assert.equal(await page.locator('#claims').count(), 0);
    await backToService(page, 'access_denied', 'the user\'s eID is suspended');
    await assertNoLeaks(seen, page);
  });
  // Active again for the revocation journey.
  certmeRun(['admin', 'reactivate-eid', addresses.maria]);
});

test('revoked eID: the wallet\'s answer is refused, the page says the eID is revoked, "back to the service" ends at Apache with access_denied', async () => {
  certmeRun(['admin', 'revoke-eid', addresses.maria]);
  await onLoginPage('revoked', async ({ page, seen, png }) => {
    const status = page.waitForResponse((r) => r.url().includes('/login/wallet/continue'), { timeout: kPageWaitMs });
    const answer = await approve('maria', png, '--yes');
    assert.notEqual(answer.code, 0, 'the wallet was told a revoked eID logged in');
    await page.getByText('eID-ul dumneavoastră este revocat.').waitFor({ timeout: kPageWaitMs });
    assert.equal((await status).status(), 403);
    await shot(page, 'revoked-2-page');
    assert.equal(await page.locator('#claims').count(), 0);
    await backToService(page, 'access_denied', 'the user\'s eID is revoked');
    await shot(page, 'revoked-3-apache-error');
    await assertNoLeaks(seen, page);
  });
});

test('phone-sized screen: the QR code and the same-device link fit the width, nothing scrolls sideways', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'ro-RO' });
  try {
    const page = await context.newPage();
    await page.goto(apache.protectedUrl, { timeout: 30000 });
    const qr = page.getByRole('img', { name: 'QR code' });
    await qr.waitFor({ timeout: 10000 });
    await shot(page, 'phone-1-login');
    const box = await qr.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 360, `QR code spans ${box.x}..${box.x + box.width} of 360 px`);
    assert.ok(box.width >= 150, `QR code only ${box.width} px wide`);
    const link = await page.getByRole('link', { name: 'Deschide portofelul certME pe acest dispozitiv' }).boundingBox();
    assert.ok(link && link.x + link.width <= 360, 'the same-device link is cut off');
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= 360, `the page is ${scrollWidth} px wide`);
  } finally {
    await context.close();
  }
});

test('JavaScript off: after the wallet answered, the "Continuă" button takes the user on (re-authentication)', async () => {
  await onLoginPage('nojs', async ({ page, seen, png }) => {
    const answer = await approve('ion', png, '--yes');
    assert.equal(answer.code, 0, `certme wallet approve failed:\n${answer.stderr}${answer.stdout}\n${logs()}`);
    assert.ok(page.url().startsWith(`${bridge.url}/login/wallet?`), 'the page moved without JavaScript');
    await page.getByRole('button', { name: 'Continuă' }).click();
    await page.waitForURL(apache.protectedUrl, { timeout: kPageWaitMs });
    assert.equal((await page.locator('#claims td.given_name').allInnerTexts()).join('|'), 'Ion');
    await shot(page, 'nojs-2-protected');
    await assertNoLeaks(seen, page);
  }, { javaScriptEnabled: false });
});

test('validator stopped: the page says the validator did not answer, within ledger.answer_timeout_seconds; "back to the service" ends at Apache with temporarily_unavailable', async () => {
  const timeout = Number(env.CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS);
  const stopped = await validator.stop();
  assert.equal(stopped.killed, false, 'the validator service did not stop on SIGTERM');
  await onLoginPage('timeout', async ({ page, seen, png }) => {
    const started = Date.now();
    const answer = approve('vasile', png, '--yes');
    await page.getByText('Validatorul nu a răspuns la timp.').waitFor({ timeout: kPageWaitMs });
    const seconds = (Date.now() - started) / 1000;
    // The bridge's deadline is whole seconds. The page's time also holds the
    // wallet's own work (Argon2 to open its file), so it gets more slack than
    // the bridge's answer to the wallet, which is timed from its access log.
    assert.ok(seconds >= timeout - 1, `timeout page after only ${seconds} s (timeout ${timeout} s)`);
    assert.ok(seconds < timeout + 12, `timeout page after ${seconds} s (timeout ${timeout} s)`);
    const posts = fs.readFileSync(bridge.logPath, 'utf8').split('\n')
      .flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } })
      .filter((e) => e.method === 'POST' && e.route === '/wallet/v1/requests/:code' && e.status === 504);
    assert.equal(posts.length, 1, 'the bridge answered the wallet with something else than 504');
    const ms = posts[0].duration_ms;
    assert.ok(ms >= (timeout - 1) * 1000 && ms <= (timeout + 3) * 1000, `the bridge answered after ${ms} ms`);
    const status = await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.responseStatus);
    assert.equal(status, 504);
    const r = await answer;
    assert.notEqual(r.code, 0, 'the wallet was told the login succeeded');
    // The wallet learns why (docs/wallet-protocol.md §7 #12), not a generic error.
    assert.match(r.stderr + r.stdout, /validator_timeout|validator did not answer/, r.stderr + r.stdout);
    await shot(page, 'timeout-2-page');
    await backToService(page, 'temporarily_unavailable', 'the identity could not be confirmed in time; try again later');
    await shot(page, 'timeout-3-apache-error');
    await assertNoLeaks(seen, page);
  });
});
