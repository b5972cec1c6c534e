#!/usr/bin/env node
// certME's trust model end to end (conformance/README.md, "trust journey"):
// two services with their own provider accounts on the ledger (the bridge
// in hub mode) — A, an OpenID Connect client behind Apache httpd with
// mod_auth_openidc, and B, a SAML service provider behind Apache httpd with
// mod_auth_mellon and a SOAP Single Logout endpoint — and one user in
// headless Chromium whose wallet is the reference wallet
// (`certme wallet approve` reading the QR code from a screenshot).
//
//   1. the user logs into A: the validator answers (first request of A);
//   2. into B in the same browser: the validator answers again (consent and
//      validation are per provider);
//   3. into A again (openid-client as A's back end, a fresh browser): no
//      validator; A gets a refresh token;
//   4. `certme wallet history` lists who asked: A, then B, two addresses;
//      and, with the bridge's provider directory, the access records of the
//      three logins, A, B, A, with the services' names;
//   5. `certme admin suspend-eid`: within 5 s Apache's pages of A and B ask
//      for a login again (back-channel logout, SOAP LogoutRequest),
//      openid-client's refresh gets invalid_grant and UserInfo 401; a new
//      login shows the suspended page;
//   6. after `certme admin reactivate-eid` the user logs in again;
//   7. a third service C, registered but never authorized, logs nobody in.
//
//   node conformance/browser/trust_journey.mjs --certme build/certme \
//        [--ledger conformance/browser/ledgers/embedded.mjs] [--artifacts DIR]
//
// Fails, never skips, when playwright-core, openid-client, Chromium, Apache
// with mod_auth_openidc or mod_auth_mellon, openssl or zbarimg is missing.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { Apache, apacheMissing } from './lib/apache.mjs';
import { Mellon, mellonMissing } from './lib/mellon.mjs';
import { cleanEnv, run, runDeadline, tempDir, waitFor, withLogs } from './lib/procs.mjs';
import { launchBrowser, leakProblems, watchPages } from './lib/browser.mjs';
import { Hub, addressIn, journeyArgs, repo, sameAddress } from './lib/hub.mjs';

const kName = 'conformance.trust_journey';
const { certme, ledgerModule, ledgerName, artifacts: artifactsArg, fail: usageFail } =
  journeyArgs(kName, 'trust_journey.mjs');
const missing = apacheMissing() ?? mellonMissing();
if (missing) {
  usageFail(`${missing} is missing (Debian apache2, libapache2-mod-auth-openidc, libapache2-mod-auth-mellon, ` +
    'openssl; scripts/deps installs them)');
}
if (run('sh', ['-c', 'command -v zbarimg']).code !== 0) usageFail('zbarimg is missing (Debian zbar-tools)');
let oidc;
try {
  // conformance/node_modules (npm ci --prefix conformance), found by node's
  // lookup from this folder upwards.
  oidc = await import('openid-client');
} catch (err) {
  usageFail(`openid-client is not installed: npm ci --prefix ${path.join(repo, 'conformance')} (${err.message})`);
}

// The bar: a suspension ends the sessions within this.
const kEndWithinMs = 5000;
// About a minute on an idle machine, two on a busy one; ctest's limit is
// above this.
runDeadline(230000, kName);

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');

const work = tempDir('certme-trust-');
const artifacts = path.resolve(artifactsArg ?? path.join(work, 'artifacts'));
fs.mkdirSync(artifacts, { recursive: true });
console.log(`${kName}: screenshots in ${artifacts}`);

const user = {
  name: 'ion',
  attrs: ['first_name=Ion', 'last_name=Popescu', 'birth_date=1985-04-12', 'gender=1', 'language=ro',
    'email=ion.popescu@example.md', 'idnp=2001234567890'],
};
const secret = () => `${crypto.randomBytes(24).toString('base64url')}-0123456789abcdef`;
// A: OpenID Connect (mod_auth_openidc; openid-client for its back end).
const serviceA = { id: 'service-a', secret: secret(), attributes: ['first_name', 'last_name', 'birth_date', 'gender', 'language', 'email'] };
// B: SAML (mod_auth_mellon); its id is its entity ID, known once its port is.
const serviceB = { attributes: ['idnp', 'first_name', 'last_name', 'birth_date'] };
// C: registered at the bridge (so it has a provider key) but never
// authorized on the ledger.
const serviceC = { id: 'service-c', secret: secret() };

let hub;          // ledger, validator service and bridge (lib/hub.mjs)
let env;          // CERTME_* settings every certme process of the run shares (hub.env)
let validator;
let bridge;
let apache;       // service A
let mellon;       // service B
let browser;
let userContext;  // the user's browser profile: A's and B's sessions live here
let tokens;       // A's back end: tokens from the third login (openid-client)
let subjectA;     // the user's sub at A
let configA;      // openid-client Configuration of A
const addresses = {};

const certmeRun = (argv, extra = {}) => hub.run(argv, extra);
const walletFile = path.join(work, 'wallet.json');

function approve(input, choice = '--yes') {
  return new Promise((resolve) => {
    execFile(certme, ['wallet', 'approve', input, choice, '--wallet', walletFile],
      { cwd: work, env: cleanEnv(env), timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

const validatorAnswers = () => hub.validatorAnswers();

async function setUp() {
  // Hub mode: a provider account per service, made by the bridge
  // (docs/ledger.md, "A provider account per service").
  hub = await Hub.start({ certme, work, ledgerModule });
  env = hub.env;
  addresses.user = hub.enrollWallet(walletFile, user.attrs);
  validator = hub.startValidator();

  apache = await Apache.reserve();
  mellon = await Mellon.reserve();
  serviceA.backEndRedirect = `${apache.url}/callback.html`;
  serviceB.id = mellon.entityId;
  fs.writeFileSync(path.join(work, 'mellon-sp.xml'), mellon.spMetadata());
  fs.writeFileSync(path.join(work, 'clients.yaml'), `clients:
  - client_id: ${serviceA.id}
    client_secret: ${serviceA.secret}
    names: {ro: "Serviciul A", ru: "Сервис A", en: "Service A"}
    redirect_uris: ["${apache.redirectUri}", "${serviceA.backEndRedirect}"]
    grant_types: [authorization_code, refresh_token]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile, email]
    attributes: [${serviceA.attributes.join(', ')}]
    # mod_auth_openidc's back-channel logout endpoint is its redirect URI.
    backchannel_logout_uri: "${apache.redirectUri}?logout=backchannel"
    backchannel_logout_session_required: true
    # Debian 12's mod_auth_openidc 2.4.12 and RFC 9207 iss: see journey.mjs.
    authorization_response_iss: false
  - client_id: ${serviceC.id}
    client_secret: ${serviceC.secret}
    names: {ro: "Serviciul C", ru: "Сервис C", en: "Service C"}
    redirect_uris: ["${apache.url}/c-callback.html"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name]
`);
  fs.writeFileSync(path.join(work, 'services.yaml'), `services:
  - metadata_file: ${path.join(work, 'mellon-sp.xml')}
    names: {ro: "Serviciul B", ru: "Сервис B", en: "Service B"}
    attributes: [${serviceB.attributes.join(', ')}]
    encrypt_assertion: true
    sign_assertion: true
`);
  bridge = await hub.startBridge({
    CERTME_OIDC_DEV_CLIENTS_FILE: path.join(work, 'clients.yaml'),
    CERTME_SAML_DEV_SERVICES_FILE: path.join(work, 'services.yaml'),
  });
  const base = bridge.url;

  // The scheme administrator authorizes A and B by their service ids (the
  // bridge made their keys at start); C stays unauthorized.
  addresses.A = addressIn(certmeRun(['admin', 'authorize-provider', serviceA.id]));
  addresses.B = addressIn(certmeRun(['admin', 'authorize-provider', serviceB.id]));
  assert.ok(addresses.A && addresses.B, 'authorize-provider printed no address');
  assert.ok(!sameAddress(addresses.A, addresses.B), `A and B share the provider address ${addresses.A}`);

  const metadata = await fetch(`${base}/saml/metadata`, { signal: AbortSignal.timeout(5000) });
  assert.equal(metadata.status, 200);
  await mellon.start({ idpMetadata: await metadata.text() });
  await apache.start({
    discoveryUrl: `${base}/.well-known/openid-configuration`,
    clientId: serviceA.id, clientSecret: serviceA.secret, scopes: 'openid profile email',
  });
  // A's back end receives its authorization codes on a plain page.
  fs.writeFileSync(path.join(apache.dir, 'htdocs', 'callback.html'),
    '<!doctype html><title>A</title><p>service A back end</p>\n', { mode: 0o644 });
  const discovered = await oidc.discovery(new URL(base), serviceA.id, {}, oidc.ClientSecretBasic(serviceA.secret),
    { execute: [oidc.allowInsecureRequests] });
  // A is registered with authorization_response_iss: false (for
  // mod_auth_openidc, above), so its authorization responses carry no iss;
  // its back end is told so, as its registration says, instead of expecting
  // the RFC 9207 parameter the discovery document advertises.
  const { authorization_response_iss_parameter_supported: _iss, ...issuerMetadata } = discovered.serverMetadata();
  configA = new oidc.Configuration(issuerMetadata, serviceA.id, { redirect_uris: [serviceA.backEndRedirect] },
    oidc.ClientSecretBasic(serviceA.secret));
  oidc.allowInsecureRequests(configA);
  browser = await launchBrowser();
  // A Romanian browser: the pages follow Accept-Language when the service names no language.
  userContext = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'ro-RO' });
}

async function tearDown() {
  await browser?.close().catch(() => {});
  await apache?.stop();
  await mellon?.stop();
  await hub?.stop();
  if (process.env.CERTME_CONFORMANCE_KEEP) console.log(`${kName}: kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}

function logs() {
  return (hub?.logs() ?? '') +
    (apache ? `\n--- apache (A)\n${apache.logTail()}` : '') + (mellon ? `\n--- mellon (B)\n${mellon.logTail()}` : '');
}

const shot = async (page, name) => {
  const file = path.join(artifacts, `trust-${ledgerName}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
};

const kPageWaitMs = 30000;

// Opens `url` in `context` and expects the bridge's QR page for `service`;
// returns the page and the screenshot the wallet reads.
async function toQrPage(context, url, serviceName, name) {
  const page = await context.newPage();
  const seen = watchPages(page);
  await page.goto(url, { timeout: 30000 });
  assert.ok(page.url().startsWith(`${bridge.url}/login/wallet?`), `not on the login page: ${page.url()}`);
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
  await page.getByText(serviceName).first().waitFor({ timeout: 5000 });
  return { page, seen, png: await shot(page, `${name}-qr`) };
}

const withPage = (page, name, fn) => withLogs(fn, logs, () => shot(page, `${name}-failed`));

async function assertNoLeaks(seen, page) {
  assert.deepEqual(await leakProblems(seen, page), [], 'a page shows internal detail');
}

// Waits until the validator's log has `n` answers (it answers before the
// login finishes, so this is only the log reaching the file).
async function answersNow(n) {
  await waitFor(`${n} validator answers`, () => validatorAnswers().length >= n, 5000).catch(() => {});
  return validatorAnswers();
}

before(() => withLogs(setUp, logs));
after(tearDown);

test('1. login into A (OIDC, mod_auth_openidc): the validator answers A\'s first request', async () => {
  const { page, seen, png } = await toQrPage(userContext, apache.protectedUrl, 'Serviciul A', '1-a');
  await withPage(page, '1-a', async () => {
    const answer = await approve(png);
    assert.equal(answer.code, 0, `certme wallet approve failed:\n${answer.stderr}${answer.stdout}`);
    await page.waitForURL(apache.protectedUrl, { timeout: kPageWaitMs });
    assert.equal((await page.locator('#claims td.given_name').allInnerTexts()).join('|'), 'Ion');
    assert.equal((await page.locator('#claims td.email').allInnerTexts()).join('|'), 'ion.popescu@example.md');
    await shot(page, '1-a-protected');
    await assertNoLeaks(seen, page);
    const answers = await answersNow(1);
    assert.equal(answers.length, 1, `validator answers: ${JSON.stringify(answers)}`);
    assert.ok(sameAddress(answers[0].provider, addresses.A), `answered ${answers[0].provider}, A is ${addresses.A}`);
  });
  await page.close();
});

test('2. login into B (SAML, mod_auth_mellon) in the same browser: the validator answers again (consent is per provider)', async () => {
  const { page, seen, png } = await toQrPage(userContext, mellon.protectedUrl, 'Serviciul B', '2-b');
  await withPage(page, '2-b', async () => {
    const answer = await approve(png);
    assert.equal(answer.code, 0, `certme wallet approve failed:\n${answer.stderr}${answer.stdout}`);
    // The page continues by itself, posts the Response to mellon, which
    // sends the browser on to the protected page.
    await page.waitForURL(mellon.protectedUrl, { timeout: kPageWaitMs });
    const attr = async (name) => (await page.locator(`#attributes td.${name}`).allInnerTexts()).join('|');
    assert.equal(await attr('NAME_ID'), '2001234567890');
    assert.equal(await attr('FirstName'), 'Ion');
    assert.equal(await attr('LastName'), 'Popescu');
    assert.equal(await attr('BirthDate'), '1985-04-12');
    assert.equal(await attr('EmailAddress'), '', 'B never asked for the e-mail address');
    await shot(page, '2-b-protected');
    await assertNoLeaks(seen, page);
    const answers = await answersNow(2);
    assert.equal(answers.length, 2, `validator answers: ${JSON.stringify(answers)}`);
    assert.ok(sameAddress(answers[1].provider, addresses.B), `answered ${answers[1].provider}, B is ${addresses.B}`);
  });
  await page.close();
});

test('3. login into A again (openid-client, a fresh browser): no validator; A gets a refresh token', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'ro-RO' });
  try {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(configA, {
      redirect_uri: serviceA.backEndRedirect, scope: 'openid profile email', state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const { page, seen, png } = await toQrPage(context, url.href, 'Serviciul A', '3-a-again');
    await withPage(page, '3-a-again', async () => {
      const answer = await approve(png);
      assert.equal(answer.code, 0, `certme wallet approve failed:\n${answer.stderr}${answer.stdout}`);
      await page.waitForURL((u) => u.href.startsWith(serviceA.backEndRedirect), { timeout: kPageWaitMs });
      tokens = await oidc.authorizationCodeGrant(configA, new URL(page.url()),
        { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
      assert.ok(tokens.refresh_token, 'no refresh token for A');
      subjectA = tokens.claims().sub;
      const info = await oidc.fetchUserInfo(configA, tokens.access_token, subjectA);
      assert.equal(info.given_name, 'Ion');
      await assertNoLeaks(seen, page);
      // The bridge reused A's earlier validation: no new request.
      assert.equal(validatorAnswers().length, 2, 'the validator was asked again for A');
    });
  } finally {
    await context.close();
  }
});

test('4. certme wallet history: A\'s request, then B\'s, from two provider addresses, with their attribute keys; the access records A, B, A with the services\' names', async () => {
  const out = certmeRun(['wallet', 'history', '--wallet', walletFile]);
  const lines = out.split('\n').filter((l) => l.startsWith('request '));
  assert.equal(lines.length, 2, `history:\n${out}`);
  assert.ok(sameAddress(addressIn(lines[0]), addresses.A), `first entry is not A's (${addresses.A}):\n${out}`);
  assert.ok(sameAddress(addressIn(lines[1]), addresses.B), `second entry is not B's (${addresses.B}):\n${out}`);
  for (const l of lines) assert.match(l, /: answered by validator 0x/, l);
  assert.match(lines[0], /email/, lines[0]);
  assert.doesNotMatch(lines[1], /email/, lines[1]);
  assert.match(lines[1], /idnp|IDNP/, lines[1]);
  // Every login left an access record that only this wallet can open; the
  // bridge submits them in the background, so wait for the third. The
  // directory names the services in the user's language.
  const directory = `${bridge.url}/.well-known/certme-providers.json`;
  let records = [];
  let last = '';
  for (const until = Date.now() + 60000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
    last = certmeRun(['wallet', 'history', '--wallet', walletFile, '--directory', directory, '--lang', 'en']);
    records = last.split('\n').filter((l) => l.startsWith('access record '));
    if (records.length >= 3) break;
  }
  assert.equal(records.length, 3, `three access records (A, B, A) expected:\n${last}`);
  assert.match(records[0], /Service A \(0x[0-9a-fA-F]{40}\) received .*email.*\(oidc, after validation request/, records[0]);
  assert.match(records[1], /Service B \(0x[0-9a-fA-F]{40}\) received .*idnp.*\(saml, after validation request/, records[1]);
  assert.match(records[2], /Service A \(0x[0-9a-fA-F]{40}\) received .*email.*\(oidc, re-login from the bridge's cache/, records[2]);
  // A's two records name A's address, B's another one.
  const recordAddress = (l) => /\((0x[0-9a-fA-F]{40})\) received/.exec(l)[1];
  assert.ok(sameAddress(recordAddress(records[0]), addresses.A) && sameAddress(recordAddress(records[2]), addresses.A),
    `A's records do not name A's address (${addresses.A}):\n${last}`);
  assert.ok(sameAddress(recordAddress(records[1]), addresses.B), `B's record does not name B's address:\n${last}`);
  const ro = certmeRun(['wallet', 'history', '--wallet', walletFile, '--directory', directory, '--lang', 'ro']);
  assert.match(ro, /access record .*Serviciul B \(0x[0-9a-fA-F]{40}\) received/, ro);
});

// The protected page of a service in the user's browser profile, without
// following redirects: 200 while its session lives; a redirect to the
// bridge when it asks for a login again.
async function asksForLogin(url) {
  const r = await userContext.request.get(url, { maxRedirects: 0, headers: { Accept: 'text/html' }, timeout: 5000 });
  const location = r.headers().location ?? '';
  await r.body().catch(() => {});
  if (r.status() === 200) return false;
  // mod_auth_openidc sends the browser to the bridge at once, mellon first
  // to its own login endpoint, which then sends it to the bridge.
  if (r.status() >= 300 && r.status() < 400 &&
      (location.startsWith(bridge.url) || location.startsWith(`${mellon.url}/mellon/login?`))) return true;
  throw new Error(`${url}: HTTP ${r.status()} ${location}`);
}

async function userInfoStatus() {
  try {
    await oidc.fetchUserInfo(configA, tokens.access_token, subjectA);
    return 200;
  } catch (err) {
    return err.status ?? err.response?.status ?? err.cause?.status ?? -1;
  }
}

test('5. certme admin suspend-eid: within 5 s A\'s and B\'s pages ask for a login again, refresh gets invalid_grant, UserInfo 401; a new login shows the suspended page', async () => {
  assert.equal(await asksForLogin(apache.protectedUrl), false, 'A\'s session was not live before the suspension');
  assert.equal(await asksForLogin(mellon.protectedUrl), false, 'B\'s session was not live before the suspension');
  assert.equal(await userInfoStatus(), 200, 'A\'s access token did not work before the suspension');

  // Timed from the moment the suspension is on the ledger: the command
  // returns once its transaction is in a block (its own time is printed).
  const tCommand = Date.now();
  certmeRun(['admin', 'suspend-eid', addresses.user]);
  const t0 = Date.now();
  console.log(`${kName}: certme admin suspend-eid took ${t0 - tCommand} ms`);
  const ended = {};
  const watch = async (what, check) => {
    await waitFor(what, check, 15000, 100).catch(() => {});
    ended[what] = Date.now() - t0;
    if (!(await check().catch(() => false))) ended[what] = Infinity;
  };
  await Promise.all([
    watch('A (mod_auth_openidc) asks for a login', () => asksForLogin(apache.protectedUrl)),
    watch('B (mod_auth_mellon) asks for a login', () => asksForLogin(mellon.protectedUrl)),
    watch('UserInfo answers 401', async () => (await userInfoStatus()) === 401),
    // A refresh that still works rotates the tokens: the next try (and
    // UserInfo) uses the new ones.
    watch('refresh gets invalid_grant', async () => {
      try {
        tokens = await oidc.refreshTokenGrant(configA, tokens.refresh_token);
        return false;
      } catch (err) {
        if (err.error === 'invalid_grant') return true;
        throw err;
      }
    }),
  ]);
  console.log(`${kName}: after suspend-eid (ms): ${JSON.stringify(ended)}`);
  for (const [what, ms] of Object.entries(ended)) {
    assert.ok(ms <= kEndWithinMs, `${what}: ${ms} ms after the suspension (bar ${kEndWithinMs} ms)\n${logs()}`);
  }
  // B's session ended through the bridge's SOAP LogoutRequest, which mellon
  // accepted (its endpoint answers 200 with a LogoutResponse).
  const soap = mellon.requests().filter((l) => / POST \/mellon\/logout /.test(l));
  assert.equal(soap.length, 1, `SOAP logouts at mellon: ${JSON.stringify(soap)}`);
  assert.match(soap[0], / 200 /, soap[0]);

  // In the browser: A's page now leads to the login page; the wallet's
  // answer is refused and the page says why.
  const { page, seen, png } = await toQrPage(userContext, apache.protectedUrl, 'Serviciul A', '5-suspended');
  await withPage(page, '5-suspended', async () => {
    const answer = await approve(png);
    assert.notEqual(answer.code, 0, 'the wallet was told a suspended eID logged in');
    await page.getByText('eID-ul dumneavoastră este suspendat.').waitFor({ timeout: kPageWaitMs });
    await shot(page, '5-suspended-page');
    await assertNoLeaks(seen, page);
  });
  await page.close();
  const b = await userContext.newPage();
  await b.goto(mellon.protectedUrl, { timeout: 30000 });
  assert.ok(b.url().startsWith(`${bridge.url}/login/wallet?`), `B's page did not ask for a login: ${b.url()}`);
  await shot(b, '5-b-asks-login');
  await b.close();
});

test('6. certme admin reactivate-eid: the user logs into A again; the tokens of before stay revoked', async () => {
  certmeRun(['admin', 'reactivate-eid', addresses.user]);
  // The suspension revoked A's grant; reactivating the eID does not bring
  // it back (docs/oidc.md, "Live eID status").
  await assert.rejects(oidc.refreshTokenGrant(configA, tokens.refresh_token),
    (err) => err.error === 'invalid_grant', 'a refresh token of before the suspension works again');
  assert.equal(await userInfoStatus(), 401, 'an access token of before the suspension works again');
  const { page, seen, png } = await toQrPage(userContext, apache.protectedUrl, 'Serviciul A', '6-reactivated');
  await withPage(page, '6-reactivated', async () => {
    const answer = await approve(png);
    assert.equal(answer.code, 0, `certme wallet approve failed:\n${answer.stderr}${answer.stdout}`);
    await page.waitForURL(apache.protectedUrl, { timeout: kPageWaitMs });
    assert.equal((await page.locator('#claims td.given_name').allInnerTexts()).join('|'), 'Ion');
    await shot(page, '6-reactivated-protected');
    await assertNoLeaks(seen, page);
    // The commitments did not change: A's earlier validation still counts.
    assert.equal(validatorAnswers().length, 2, 'the validator was asked again after the reactivation');
  });
  await page.close();
});

test('7. a service whose provider is not authorized cannot log in: the page says so, the service gets access_denied', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'ro-RO' });
  try {
    const page = await context.newPage();
    const seen = watchPages(page);
    const redirect = `${apache.url}/c-callback.html`;
    const q = new URLSearchParams({
      response_type: 'code', client_id: serviceC.id, redirect_uri: redirect, scope: 'openid profile',
      state: 'c-state', nonce: 'c-nonce',
    });
    await withPage(page, '7-unauthorized', async () => {
      const authorize = configA.serverMetadata().authorization_endpoint;
      const response = await page.goto(`${authorize}?${q}`, { timeout: 30000 });
      await page.getByText('Acest serviciu nu poate folosi încă autentificarea certME').waitFor({ timeout: 10000 });
      assert.equal(response.status(), 403);
      assert.equal(await page.getByRole('img', { name: 'QR code' }).count(), 0, 'a QR code for an unauthorized service');
      await shot(page, '7-unauthorized-page');
      const [back] = await Promise.all([
        page.waitForNavigation({ url: (u) => u.href.startsWith(redirect), timeout: kPageWaitMs }),
        page.getByRole('link', { name: 'Înapoi la serviciu' }).click(),
      ]);
      const p = new URL(back.url()).searchParams;
      assert.equal(p.get('error'), 'access_denied');
      assert.equal(p.get('error_description'), 'this service is not authorized to log users in');
      assert.equal(p.get('state'), 'c-state');
      await assertNoLeaks(seen, page);
      assert.equal(validatorAnswers().length, 2, 'the validator was asked for an unauthorized service');
    });
  } finally {
    await context.close();
  }
});
