#!/usr/bin/env node
// conformance.admin_browser — the administration console in a real browser,
// then off-the-shelf clients through what it registered.
//
// Two bridges (test with the console, production) on free ports, each with
// its own sqlite store and development keys. Headless Chromium (Debian
// /usr/bin/chromium through playwright-core) signs in, is refused a private
// key as certificate, registers a SAML service (named `<script>…`, which
// must show as text) and an OpenID Connect service with certificate uploads,
// promotes the OIDC service to production (first refused with the test
// certificate), edits the production registration in place (the secret
// stays), and reads the audit log. Then openid-client logs in on the
// production bridge with the production secret the page showed, and
// python3-saml (conformance/saml/run.py's service provider) on the test
// bridge with the uploaded certificate's key. Along the way: every change
// redirects and a reload repeats nothing (the services are counted, a
// secret shows once), a client from the configuration file is listed
// read-only, the list's search, service names in the audit log, an OIDC
// service registered for MSign (msign_checks.mjs); then every
// console page through the language switcher (ru, ro, en) with axe-core in
// each language (console_checks.mjs), and sign-in plus a registration with
// the keyboard only. Screenshots of every page go to --artifacts.
//
//   node conformance/admin/run.mjs --certme build/certme --python /usr/bin/python3 --artifacts DIR

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { axeInstalled } from './axe.mjs';
import { keyboardOnly, languagesAndAxe } from './console_checks.mjs';
import { registerMsign } from './msign_checks.mjs';

const kName = 'conformance.admin_browser';
const kChromium = '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const certme = path.resolve(opt('certme', ''));
const python = opt('python', 'python3');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'certme-admin-'));
const artifacts = path.resolve(opt('artifacts', path.join(work, 'artifacts')));
fs.mkdirSync(artifacts, { recursive: true });

function fail(message) {
  console.error(`${kName}: ${message}`);
  process.exit(1);
}
if (!fs.existsSync(certme)) fail('usage: run.mjs --certme PATH (the built certme binary)');
if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core')))
  fail(`playwright-core is missing; run: npm ci --prefix ${here}   (scripts/deps does this)`);
if (!fs.existsSync(path.join(repo, 'conformance', 'node_modules', 'openid-client')))
  fail(`openid-client is missing; run: npm ci --prefix ${path.join(repo, 'conformance')}   (scripts/deps does this)`);
if (!fs.existsSync(kChromium)) fail(`${kChromium} is missing (Debian package chromium)`);
if (!axeInstalled()) fail(`axe-core is missing; run: npm ci --prefix ${here}   (scripts/deps does this)`);

const { chromium } = await import('playwright-core');
const oidc = await import(path.join(repo, 'conformance', 'node_modules', 'openid-client', 'build', 'index.js'));

// Everything started is stopped on every exit path.
const procs = [];
let browser;
let receiver;
let finished = false;
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (receiver) receiver.close();
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
}
const deadline = setTimeout(async () => {
  console.error(`${kName}: timed out after 300 s`);
  await cleanup();
  process.exit(1);
}, 300000);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(what, fn, ms = 30000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up${last ? `: ${last.message}` : ''}`);
}

function openssl(...a) {
  execFileSync('openssl', a, { stdio: 'pipe' });
}
function makeCert(name) {
  const key = path.join(work, `${name}.key`);
  const crt = path.join(work, `${name}.cer`);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}.example`,
    '-keyout', key, '-out', crt);
  return { key, crt };
}

const bridgeEnv = (port, name, extra = {}) => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('CERTME_')) delete env[k];
  return {
    ...env,
    CERTME_SERVER_PORT: String(port),
    CERTME_SERVER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CERTME_STORE_SQLITE_PATH: path.join(work, `${name}.db`),
    CERTME_KEYS_DEV_KEY_DIR: path.join(work, `${name}-keys`),
    CERTME_LOGIN_DEV_LOGIN: 'true',
    CERTME_LOGGING_ACCESS_LOG: 'false',
    ...extra,
  };
};

async function startBridge(name, env) {
  const log = fs.openSync(path.join(work, `${name}.log`), 'w');
  const p = spawn(certme, ['idp'], { cwd: repo, env, stdio: ['ignore', log, log] });
  procs.push(p);
  const url = env.CERTME_SERVER_PUBLIC_URL;
  await waitFor(`the ${name} bridge`, async () => {
    if (p.exitCode !== null) throw new Error(`exited with ${p.exitCode}: ${fs.readFileSync(path.join(work, `${name}.log`), 'utf8').slice(-800)}`);
    return (await fetch(`${url}/healthz`)).ok;
  });
  return url;
}

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  const file = path.join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

async function main() {
  const [testPort, prodPort, rpPort] = [await freePort(), await freePort(), await freePort()];
  const samlSp = makeCert('saml-sp');
  const oidcTest = makeCert('oidc-test');
  const oidcProd = makeCert('oidc-prod');
  const password = 'correct horse battery staple';

  // A client registered from the configuration file: the console lists it
  // read-only.
  const clientsFile = path.join(work, 'file-clients.yaml');
  fs.writeFileSync(clientsFile, `clients:
  - client_id: file-rp
    client_secret: file-secret-0123456789abcdef0123456789abcdef
    names: {ro: "Portal din fișier", ru: "Портал из файла", en: "File portal"}
    redirect_uris: ["https://file.example/cb"]
    post_logout_redirect_uris: ["https://file.example/bye"]
`);
  // The first administrator, before the server starts (same store file).
  const testEnv = bridgeEnv(testPort, 'test', {
    CERTME_OIDC_DEV_CLIENTS_FILE: clientsFile,
    CERTME_ADMIN_ENABLED: 'true',
    CERTME_ADMIN_PRODUCTION_STORE_PATH: path.join(work, 'prod.db'),
    CERTME_ADMIN_PRODUCTION_PUBLIC_URL: `http://127.0.0.1:${prodPort}`,
  });
  execFileSync(certme, ['admin', 'create-user', 'ana'], {
    cwd: repo, env: { ...testEnv, CERTME_ADMIN_PASSWORD: password }, stdio: 'pipe',
  });
  const prodUrl = await startBridge('prod', bridgeEnv(prodPort, 'prod'));
  const testUrl = await startBridge('test', testEnv);

  // The provider's redirect URI: answers whatever arrives.
  receiver = http.createServer((req, res) => res.end('provider callback'));
  await new Promise((r) => receiver.listen(rpPort, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${rpPort}/cb`;

  browser = await chromium.launch({
    executablePath: kChromium, headless: true, timeout: 60000,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  // An English browser; the other languages come through the switcher.
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
  const errors = [];
  // Every console page this test drives: no dialog (no injected script
  // runs), script errors and CSP violations collected; a 4xx answer the
  // test asked for (wrong password, refused form) is reported as a failed
  // resource and is expected.
  const watch = (p) => {
    p.setDefaultTimeout(20000);
    p.on('dialog', (d) => {
      throw new Error(`a script ran on a console page: dialog "${d.message()}"`);
    });
    p.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    p.on('pageerror', (e) => errors.push(String(e)));
  };
  watch(page);

  // Sign in: a wrong password first.
  await page.goto(`${testUrl}/admin`);
  await screenshot(page, 'login');
  await page.fill('#user', 'ana');
  await page.fill('#password', 'not the password!');
  await page.click('button[type=submit]');
  assert.match(await page.locator('.notice.bad').innerText(), /Wrong user name or password/);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${testUrl}/admin/services`);
  await screenshot(page, 'services-empty');
  // The client of the configuration file is live, so it is listed (marked,
  // read-only) instead of "no service".
  assert.equal(await page.locator('tr.file-service').count(), 1);
  assert.match(await page.locator('tr.file-service').innerText(), /File portal[\s\S]*file-rp[\s\S]*configuration file, read-only/);
  assert.equal(await page.locator('text=No service is registered').count(), 0);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'certme_admin');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'session cookie HttpOnly, SameSite=Strict');

  // SAML: a private key is refused, then the certificate is accepted.
  const entityId = 'https://parking.mpass-test.example/metadata';
  const acs = 'https://parking.mpass-test.example/acs';
  const scriptName = '<script>alert("x")</script> Parcare';
  await page.click('text=Register a SAML service');
  const fillCommon = async (suffix) => {
    await page.fill('#name_ro', `Parcare ${suffix}`);
    await page.fill('#name_ru', `Парковка ${suffix}`);
    await page.fill('#name_en', suffix === 'SAML' ? scriptName : `Parking ${suffix}`);
    await page.fill('#description', 'Pays the municipal parking fees.');
    await page.fill('#technical_contact', 'it@parking.example.md');
    await page.fill('#contract_number', `MP-2026/${suffix}`);
    await page.fill('#contract_date', '2026-03-01');
    for (const key of ['idnp', 'first_name', 'last_name', 'birth_date']) await page.check(`input[name=attributes][value=${key}]`);
  };
  await fillCommon('SAML');
  await page.fill('#entity_id', entityId);
  await page.fill('#acs_urls', acs);
  await page.fill('#slo_url', 'https://parking.mpass-test.example/slo');
  await page.setInputFiles('#certificate', samlSp.key);
  await screenshot(page, 'saml-form');
  await page.click('button:has-text("Register on test")');
  const certError = await page.locator('#certificate ~ .field-error').innerText();
  assert.match(certError, /never send the \.pfx/);
  await screenshot(page, 'saml-form-private-key-refused');
  for (const key of ['idnp', 'first_name', 'last_name', 'birth_date'])
    assert.ok(await page.isChecked(`input[name=attributes][value=${key}]`), `attribute ${key} kept ticked`);
  assert.equal(await page.inputValue('#name_en'), scriptName);
  await page.setInputFiles('#certificate', samlSp.crt);
  await page.click('button:has-text("Register on test")');
  await page.waitForSelector('text=Registered on the test environment.');
  const samlId = new URL(page.url()).pathname.split('/').pop();
  assert.match(samlId, /^svc-[0-9a-f]{12}$/);
  assert.equal(await page.locator('h1').innerText(), scriptName);
  assert.ok((await page.content()).includes('&lt;script&gt;'), 'the name is escaped in the HTML');
  await screenshot(page, 'saml-registered');

  // OIDC on test, certificate upload, the secret shown once.
  await page.click('text=Services');
  await page.click('text=Register an OpenID Connect service');
  await fillCommon('OIDC');
  await page.fill('#redirect_uris', redirectUri);
  await page.setInputFiles('#certificate', oidcTest.crt);
  await screenshot(page, 'oidc-form');
  await page.click('button:has-text("Register on test")');
  const testSecret = (await page.locator('#client-secret').innerText()).trim();
  assert.match(testSecret, /^[A-Za-z0-9_-]{43}$/);
  const clientId = (await page.locator('.lead code').first().innerText()).trim();
  assert.match(clientId, /^svc-[0-9a-f]{12}$/);
  await screenshot(page, 'oidc-registered-secret-once');
  // The copy button (the page's one script) puts the secret on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: testUrl });
  await page.click('#client-secret + button.copy');
  await page.waitForSelector('#client-secret + button.copy:has-text("Copied")');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), testSecret);
  // Redirect after POST: the page is a GET whose address does not hold the
  // secret; reloading it registers nothing again and shows no secret.
  const landed = page.url();
  assert.match(landed, /\/admin\/services\/svc-[0-9a-f]{12}\?done=registered&flash=/);
  assert.ok(!landed.includes(testSecret), 'the secret is not in the address');
  await page.reload();
  assert.equal(await page.locator('#client-secret').count(), 0, 'a reload shows the secret no more');
  assert.match(await page.locator('.notice.bad').innerText(), /already shown/);
  const consoleServices = async () => {
    await page.goto(`${testUrl}/admin/services`);
    return page.locator('table.services tbody tr:not(.file-service)').count();
  };
  assert.equal(await consoleServices(), 2, 'the reload registered nothing');
  // The service's own page (a GET) never shows it: only its hash is kept.
  await page.goto(`${testUrl}/admin/services/${clientId}`);
  assert.equal(await page.locator('#client-secret').count(), 0, 'the secret is not shown again');
  assert.ok((await page.content()).includes(clientId));

  // Promotion: the test certificate is refused, then approval + new certificate.
  await page.click('text=Promote to production');
  await page.setInputFiles('#certificate', oidcTest.crt);
  await page.check('input[name=approved]');
  await page.click('button:has-text("Promote to production")');
  assert.match(await page.locator('#certificate ~ .field-error').innerText(), /test certificate/);
  await screenshot(page, 'promote-same-certificate-refused');
  await page.setInputFiles('#certificate', oidcProd.crt);
  await page.check('input[name=approved]');
  await page.fill('#approval_note', 'tested by the provider on 2026-11-20');
  await screenshot(page, 'promote-form');
  await page.click('button:has-text("Promote to production")');
  await page.waitForSelector('text=Promoted to production.');
  const prodSecret = (await page.locator('#client-secret').innerText()).trim();
  assert.notEqual(prodSecret, testSecret);
  await screenshot(page, 'promoted');

  // Edit the production registration in place: a second redirect URI and a
  // new description; the client_id and the secret stay (openid-client below
  // logs in with the secret shown at promotion).
  await page.goto(`${testUrl}/admin/services/${clientId}`);
  await page.click('text=Edit on Production');
  await page.waitForSelector('text=What saving an edit does to live sessions');
  assert.equal((await page.inputValue('#redirect_uris')).trim(), redirectUri, 'the form shows the live URIs');
  assert.ok(await page.isChecked('input[name=authorization_response_iss]'), 'iss is on by default');
  await page.fill('#description', 'Edited in place from the console.');
  await page.fill('#redirect_uris', `${redirectUri}\n${redirectUri}/second`);
  await screenshot(page, 'edit-form');
  await page.click('button:has-text("Save the Production registration")');
  await page.waitForSelector('text=live as edited');
  await page.reload();
  await page.waitForSelector('text=live as edited');
  assert.equal(await page.locator('#client-secret').count(), 0, 'an edit issues no secret');
  assert.ok((await page.locator('main').innerText()).includes(`${redirectUri}/second`));
  await screenshot(page, 'edited');

  await page.click('text=Services');
  await screenshot(page, 'services');
  // Search, on the server (a GET form: works without script).
  await page.fill('#q', 'parcare');
  await page.press('#q', 'Enter');
  await page.waitForURL(/q=parcare/);
  assert.equal(await page.locator('table.services tbody tr').count(), 2);
  await page.fill('#q', 'file-rp');
  await page.press('#q', 'Enter');
  await page.waitForURL(/q=file-rp/);
  assert.equal(await page.locator('table.services tbody tr.file-service').count(), 1);
  assert.equal(await page.locator('table.services tbody tr').count(), 1);
  await page.goto(`${testUrl}/admin/services?env=production`);
  assert.equal(await page.locator('table.services tbody tr').count(), 1, 'only the promoted service');
  await screenshot(page, 'services-search');
  await page.click('text=Audit log');
  const auditText = await page.locator('main').innerText();
  assert.equal(auditText.split('service.edit').length - 1, 1, 'the reloaded edit page edited nothing again');
  const auditNames = await page.locator('.target-name').allInnerTexts();
  assert.ok(auditNames.includes('Parking OIDC') && auditNames.includes(scriptName), `services named in the audit log: ${auditNames}`);
  for (const action of ['user.create', 'user.login_failed', 'user.login', 'service.create', 'service.promote',
    'service.edit'])
    assert.ok(auditText.includes(action), `audit log shows ${action}`);
  assert.match(auditText, /the chain is intact/);
  await screenshot(page, 'audit');

  // openid-client on the PRODUCTION bridge with the production secret; the
  // browser plays the user (development login).
  const prodConfig = await oidc.discovery(new URL(prodUrl), clientId, undefined, oidc.ClientSecretBasic(prodSecret),
    { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authUrl = oidc.buildAuthorizationUrl(prodConfig, {
    redirect_uri: redirectUri, scope: 'openid profile certme', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  await page.goto(authUrl.href);
  await page.waitForSelector('input[name=identity][value=ion]');
  await screenshot(page, 'production-dev-login');
  await page.check('input[name=identity][value=ion]');
  await page.click('button[value=login]');
  await page.waitForURL((u) => u.href.startsWith(redirectUri));
  const tokens = await oidc.authorizationCodeGrant(prodConfig, new URL(page.url()),
    { pkceCodeVerifier: verifier, expectedState: state });
  const claims = tokens.claims();
  assert.equal(claims.iss, prodUrl);
  assert.equal(claims.given_name, 'Ion');
  assert.ok(claims.idnp, 'the idnp claim the service registered for');
  // The test secret does not open production: the token endpoint refuses
  // the client (invalid_client) where the production secret only gets the
  // bogus code refused (invalid_grant).
  const tokenError = async (secret) => {
    const r = await fetch(prodConfig.serverMetadata().token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'bogus', redirect_uri: redirectUri }),
    });
    return (await r.json()).error;
  };
  assert.equal(await tokenError(testSecret), 'invalid_client');
  assert.equal(await tokenError(prodSecret), 'invalid_grant');

  // Disabling production (what the page explains): the access token the
  // client holds stops working at UserInfo at once.
  const userinfo = async () => (await fetch(prodConfig.serverMetadata().userinfo_endpoint,
    { headers: { authorization: `Bearer ${tokens.access_token}` } })).status;
  assert.equal(await userinfo(), 200);
  await page.goto(`${testUrl}/admin/services/${clientId}`);
  await page.click('button:has-text("Disable on Production")');
  await page.waitForSelector('text=Disabled.');
  await screenshot(page, 'production-disabled');
  assert.equal(await userinfo(), 401);
  await page.click('button:has-text("Enable on Production")');
  await page.waitForSelector('text=Enabled again.');

  // python3-saml on the TEST bridge, signing with the key of the uploaded
  // certificate; refused while the service is disabled, accepted again after.
  const samlLogin = () => execFileSync(python, [path.join(here, 'saml_login.py'), '--bridge', testUrl,
    '--entity-id', entityId, '--acs', acs, '--key', samlSp.key, '--cert', samlSp.crt],
  { cwd: here, encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
  const saml = JSON.parse(samlLogin().trim().split('\n').pop());
  assert.deepEqual(saml.attributes.FirstName, ['Ion']);
  assert.ok(!('EmailAddress' in saml.attributes), 'only the registered attributes');
  await page.goto(`${testUrl}/admin/services`);
  await page.click(`a:has-text('${scriptName.replace(/'/g, "\\'")}')`);
  await page.click('button:has-text("Disable on Test")');
  await page.waitForSelector('text=Disabled.');
  assert.throws(samlLogin, (e) => /login did not end on a Response page: HTTP 4\d\d/.test(String(e.stdout)));
  await page.click('button:has-text("Enable on Test")');
  await page.waitForSelector('text=Enabled again.');
  assert.deepEqual(JSON.parse(samlLogin().trim().split('\n').pop()).attributes.FirstName, ['Ion']);

  // MSign beside MPass: registered, its settings on its page.
  const msignId = await registerMsign(page, testUrl, {
    certificate: oidcTest.crt, redirectUri: `${redirectUri}/msign`, screenshot,
  });
  assert.match(msignId, /^svc-[0-9a-f]{12}$/);

  // Roles and API tokens. A token is made on the tokens page by a signed-in
  // user; it reads with its scope and cannot make another token.
  await page.goto(`${testUrl}/admin/tokens`);
  await page.fill('#name', 'browser-made');
  await page.click('button:has-text("Create token")');
  const apiToken = (await page.locator('#api-token').innerText()).trim();
  await screenshot(page, 'api-token');
  await page.reload();
  assert.equal(await page.locator('#api-token').count(), 0);
  assert.equal(await page.locator('form[action$="/revoke"]').count(), 1, 'a reload made no second token');

  // Every console page, through its language switcher, with axe-core in
  // each language (three signed-in contexts share the pages); meanwhile, in
  // a context of its own, the keyboard alone signs in and registers.
  const keyboardCase = (async () => {
    const keyboard = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    await languagesAndAxe(keyboard, [['login', `${testUrl}/admin/login`]], screenshot);
    const keyboardId = await keyboardOnly(keyboard, testUrl, {
      user: 'ana', password, certificate: oidcTest.crt, redirectUri: `${redirectUri}/keyboard`,
    });
    assert.match(keyboardId, /^svc-[0-9a-f]{12}$/);
    await screenshot(keyboard, 'keyboard-registered');
    await keyboard.close();
  })();
  await Promise.all([languagesAndAxe(page, [
    ['services', `${testUrl}/admin/services`],
    ['new-saml', `${testUrl}/admin/services/new?protocol=saml`],
    ['new-oidc', `${testUrl}/admin/services/new?protocol=oidc`],
    ['saml-service', `${testUrl}/admin/services/${samlId}`],
    ['oidc-service', `${testUrl}/admin/services/${clientId}`],
    ['edit', `${testUrl}/admin/services/${samlId}/edit/test`],
    ['promote', `${testUrl}/admin/services/${samlId}/promote`],
    ['file-service', `${testUrl}/admin/file-services?protocol=oidc&id=file-rp`],
    ['tokens', `${testUrl}/admin/tokens`],
    ['users', `${testUrl}/admin/users`],
    ['audit', `${testUrl}/admin/audit`],
  ], screenshot, { workers: 1, prepare: watch }), keyboardCase]);
  const api = (method, p, body) => fetch(`${testUrl}/admin/api/v1${p}`, {
    method, body,
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
  });
  assert.equal((await api('GET', '/services')).status, 200);
  const minted = await api('POST', '/tokens', '{"name":"minted"}');
  assert.equal(minted.status, 403, 'a token cannot make a token');
  // A viewer sees the services and is offered, and allowed, no change.
  execFileSync(certme, ['admin', 'create-user', 'vera', '--role', 'viewer'], {
    cwd: repo, env: { ...testEnv, CERTME_ADMIN_PASSWORD: password }, stdio: 'pipe',
  });
  await page.click('button:has-text("Sign out")');
  await page.waitForURL(/\/admin\/login/);
  await page.fill('#user', 'vera');
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${testUrl}/admin/services`);
  assert.equal(await page.locator('a:has-text("Register a SAML service")').count(), 0);
  assert.match(await page.locator('.admin-user').innerText(), /viewer/);
  await screenshot(page, 'viewer-services');
  const refused = await page.goto(`${testUrl}/admin/services/new?protocol=oidc`);
  assert.equal(refused.status(), 403);
  assert.match(await page.content(), /needs the operator role/);

  assert.deepEqual(errors, [], 'no console errors on the pages');
  finished = true;
}

try {
  await main();
  console.log(`${kName}: ok — screenshots in ${artifacts}`);
} catch (e) {
  console.error(`${kName}: FAIL ${e.stack || e}`);
  for (const name of ['test', 'prod']) {
    const f = path.join(work, `${name}.log`);
    if (fs.existsSync(f)) console.error(`--- ${name} bridge log (tail)\n${fs.readFileSync(f, 'utf8').slice(-2000)}`);
  }
} finally {
  clearTimeout(deadline);
  await cleanup();
  if (finished) fs.rmSync(work, { recursive: true, force: true });
  else console.error(`${kName}: work directory kept: ${work}`);
}
process.exit(finished ? 0 : 1);
