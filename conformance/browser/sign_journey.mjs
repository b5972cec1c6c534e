#!/usr/bin/env node
// Signing with the certME wallet end to end (docs/signing.md): a provider
// written with off-the-shelf parts only — node's HTTP server and fetch, npm
// `jose` for its private_key_jwt assertions and for checking the JAdES
// signatures it receives — asks the bridge to have users sign, and headless
// Chromium plays the user's browser.
//
//   1. the provider posts a digest and a PDF for Ion; Chromium opens the
//      signing page, then the wallet step; the reference wallet
//      (`certme wallet sign`, reading the QR code from a screenshot) signs;
//      the browser comes back to the provider, which fetches Success and
//      the signatures and verifies them with jose (ES256K) against its own
//      digests, and `certme sign verify` agrees;
//   2. Maria's wallet is the npm-only one (conformance/wallet/login.mjs with
//      ethers): it signs from the page's same-device link;
//   3. Ion refuses: Failure (refused), the browser comes back all the same;
//   4. a request for Maria signed by Ion: Failure (wrong_signer);
//   5. a request for Ion's company (signer type organization, its IDNO): his
//      validated administered legal entity and IDNO make it Success;
//   6. a service whose MSign addresses do not include the caller's: 403;
//   7. a request left alone past its lifetime: Expired;
//   8. after the eID is revoked, the signature of step 1 is still valid (made
//      while the eID was active, says the ledger), the eID now revoked, and a
//      new request cannot be signed with it.
//
//   node conformance/browser/sign_journey.mjs --certme build/certme \
//        [--ledger conformance/browser/ledgers/embedded.mjs] [--artifacts DIR]
//
// Fails, never skips, when playwright-core, jose, ethers (conformance/wallet),
// Chromium or zbarimg is missing.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { cleanEnv, run, runDeadline, sleep, tempDir, waitFor, withLogs } from './lib/procs.mjs';
import { launchBrowser, leakProblems, watchPages } from './lib/browser.mjs';
import { Hub, addressIn, journeyArgs, repo, sameAddress } from './lib/hub.mjs';

const kName = 'conformance.sign_journey';
const { certme, ledgerModule, ledgerName, artifacts: artifactsArg, fail: usageFail } =
  journeyArgs(kName, 'sign_journey.mjs');
if (run('sh', ['-c', 'command -v zbarimg']).code !== 0) usageFail('zbarimg is missing (Debian zbar-tools)');
const npmWallet = path.join(repo, 'conformance', 'wallet', 'login.mjs');
if (!fs.existsSync(path.join(repo, 'conformance', 'wallet', 'node_modules', 'ethers', 'package.json'))) {
  usageFail(`ethers is not installed: npm ci --prefix ${path.join(repo, 'conformance', 'wallet')} (scripts/deps does it)`);
}
let jose;
try {
  // conformance/browser/node_modules: jose 5, whose Node.js build has ES256K.
  jose = await import('jose');
} catch (err) {
  usageFail(`jose is not installed: npm ci --prefix ${path.join(repo, 'conformance', 'browser')} (${err.message})`);
}

// About 70 s on an idle machine (a minute of it the expiry, overlapped with
// the rest); ctest's limit is above this.
runDeadline(230000, kName);

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');

const work = tempDir('certme-sign-');
const artifacts = path.resolve(artifactsArg ?? path.join(work, 'artifacts'));
fs.mkdirSync(artifacts, { recursive: true });
console.log(`${kName}: screenshots in ${artifacts}`);

const company = { idno: '1003600012345', name: 'Exemplu SRL' };
const ion = {
  idnp: '2001234567890',
  attrs: ['first_name=Ion', 'last_name=Popescu', 'idnp=2001234567890', `idno=${company.idno}`,
    `administered_legal_entity=${company.name} ${company.idno}`],
};
const maria = { idnp: '2009876543210', attrs: ['first_name=Maria', 'last_name=Rusu', 'idnp=2009876543210'] };

let hub;          // ledger, validator service and bridge (lib/hub.mjs)
let env;          // CERTME_* settings every certme process of the run shares (hub.env)
let bridge;
let provider;     // the provider's back end: its HTTP server and keys
let browser;
let context;      // the user's browser profile
const addresses = {};
const walletFile = path.join(work, 'wallet.json');
let mariaKey;     // the npm-only wallet's private key
const signed = {};  // step 1's outcome, verified again in step 8
let lateRequest;  // step 7's request, created at the start

const certmeRun = (argv, extra = {}) => hub.run(argv, extra);

function spawnOut(cmd, argv) {
  return new Promise((resolve) => {
    execFile(cmd, argv, { cwd: work, env: cleanEnv(env), timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}
const walletSign = (input, choice = '--yes') =>
  spawnOut(certme, ['wallet', 'sign', input, choice, '--wallet', walletFile, '--lang', 'en']);

// ---- the provider ----------------------------------------------------------
// A service's back end: an ES256 key registered as its private_key_jwt key,
// an HTTP server whose /signed page is the return URL, and the calls of the
// sign API with a fresh client assertion each.
class Provider {
  static async start(clientId) {
    const p = new Provider();
    p.clientId = clientId;
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    p.privateKey = privateKey;
    p.jwk = { ...(await jose.exportJWK(publicKey)), kid: `${clientId}-1`, alg: 'ES256', use: 'sig' };
    p.returns = [];  // {sign_id, RelayState} per browser that came back
    p.server = http.createServer((req, res) => {
      const u = new URL(req.url, 'http://127.0.0.1');
      if (u.pathname === '/signed') {
        p.returns.push(Object.fromEntries(u.searchParams));
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><title>Provider</title><p id="back">back at the provider: ${u.searchParams.get('sign_id')}</p>`);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.returnUrl = `http://127.0.0.1:${p.server.address().port}/signed`;
    return p;
  }

  async assertion() {
    return new jose.SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.jwk.kid })
      .setIssuer(this.clientId).setSubject(this.clientId).setAudience(bridge.url)
      .setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('2m')
      .sign(this.privateKey);
  }

  async call(method, pathname, body) {
    const res = await fetch(`${bridge.url}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${await this.assertion()}`, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15000),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = { raw: text }; }
    return { status: res.status, json };
  }

  async create(request) {
    const r = await this.call('POST', '/sign/v1/requests', {
      return_url: this.returnUrl, language: 'en', relay_state: `order-${crypto.randomBytes(4).toString('hex')}`,
      description: { ro: 'Contract de prestări servicii', en: 'Service contract' }, ...request,
    });
    assert.equal(r.status, 201, `create: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.status, 'pending');
    assert.ok(r.json.sign_url.startsWith(`${bridge.url}/sign/`), r.json.sign_url);
    return r.json;
  }

  async status(id) {
    const r = await this.call('GET', `/sign/v1/requests/${id}`);
    assert.equal(r.status, 200, `status: ${JSON.stringify(r.json)}`);
    return r.json;
  }

  stop() { return new Promise((resolve) => this.server.close(resolve)); }
}

const pdf = Buffer.from(`%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%% contract ${crypto.randomBytes(8).toString('hex')}
%%EOF
`, 'latin1');
const annex = Buffer.from('Annex 1: prices valid until the end of 2027\n', 'utf8');
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();

// The provider's own check of one signature with npm jose: ES256K over the
// protected header by the key it names, sigT and sigD understood as critical,
// then the document's digest (computed here) against sigD's.
async function joseVerify(jades, documentDigest) {
  const header = jose.decodeProtectedHeader(jades);
  assert.equal(header.alg, 'ES256K');
  const key = await jose.importJWK(header.jwk, 'ES256K');
  const { protectedHeader } = await jose.flattenedVerify(jades, key,
    { algorithms: ['ES256K'], crit: { sigT: true, sigD: true } });
  assert.equal(protectedHeader.sigD.hashV[0], documentDigest.toString('base64url'), 'sigD names another document');
  return protectedHeader;
}

// ---- setting up --------------------------------------------------------------

async function setUp() {
  hub = await Hub.start({ certme, work, ledgerModule });
  env = hub.env;
  // Ion: the reference wallet.
  addresses.ion = hub.enrollWallet(walletFile, ion.attrs);
  // Maria: a key file whose private key the npm-only wallet uses.
  const mariaKeyFile = path.join(work, 'keys', 'maria.key');
  addresses.maria = certmeRun(['ledger', 'keygen', '--out', mariaKeyFile]);
  mariaKey = JSON.parse(fs.readFileSync(mariaKeyFile, 'utf8')).private_key;
  assert.match(mariaKey ?? '', /^0x[0-9a-fA-F]{64}$/, 'no private key in the key file');
  const mariaEnrollment = path.join(work, 'maria-enrollment.json');
  certmeRun(['validator', 'enroll', '--user', addresses.maria, ...maria.attrs.flatMap((a) => ['--attr', a]), '--out', mariaEnrollment]);
  certmeRun(['wallet', 'approve-enrolment', mariaEnrollment, '--key', mariaKeyFile, '--out', path.join(work, 'maria.sig')]);
  certmeRun(['validator', 'issue', mariaEnrollment, '--consent', path.join(work, 'maria.sig')]);
  maria.enrollment = mariaEnrollment;
  hub.startValidator();

  provider = await Provider.start('notary');
  const far = await Provider.start('far-office');
  provider.far = far;
  const client = (p, names, ipAllow) => `  - client_id: ${p.clientId}
    names: ${names}
    redirect_uris: ["${p.returnUrl}"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: private_key_jwt
    jwks: {keys: [${JSON.stringify(p.jwk)}]}
    scopes: [openid, profile]
    attributes: [first_name, last_name]
    msign:
      contract_number: "MS-2026-17"
      contract_date: "2026-11-30"
      ip_allow: [${ipAllow.map((a) => `"${a}"`).join(', ')}]
      signer_types: both
`;
  fs.writeFileSync(path.join(work, 'clients.yaml'), 'clients:\n' +
    client(provider, '{ro: "Notariatul Exemplu", ru: "Нотариат Пример", en: "Example Notary"}', ['127.0.0.1', '::1']) +
    client(far, '{ro: "Oficiul Îndepărtat", ru: "Дальний офис", en: "Far Office"}', ['192.0.2.0/24']));

  bridge = await hub.startBridge({ CERTME_OIDC_DEV_CLIENTS_FILE: path.join(work, 'clients.yaml') });
  // The scheme administrator authorizes the notary's provider account: the
  // bridge records its signatures on the ledger with it.
  addresses.notary = addressIn(certmeRun(['admin', 'authorize-provider', provider.clientId]));
  assert.ok(addresses.notary, 'authorize-provider printed no address');

  // Step 7's request: nobody opens it; by the end its minute is over.
  lateRequest = await provider.create({
    items: [{ name: 'late.txt', hash_alg: 'S256', digest: sha256(annex).toString('base64url') }],
    signer: { type: 'person', idnp: ion.idnp }, lifetime: 60,
  });

  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1000, height: 1000 }, locale: 'en-US' });
}

async function tearDown() {
  await browser?.close().catch(() => {});
  await provider?.far?.stop();
  await provider?.stop();
  await hub?.stop();
  if (process.env.CERTME_CONFORMANCE_KEEP) console.log(`${kName}: kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}

const logs = () => hub?.logs() ?? '';

const shot = async (page, name) => {
  const file = path.join(artifacts, `sign-${ledgerName}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
};

// Opens the signing page of `created`, checks what it shows, goes on to the
// wallet step; returns the page, its watcher, the QR screenshot and the
// same-device link.
async function toWalletStep(created, name, { expectItems }) {
  const page = await context.newPage();
  const seen = watchPages(page);
  await page.goto(created.sign_url, { timeout: 30000 });
  await page.locator('#service').getByText('Example Notary').waitFor({ timeout: 10000 });
  await page.getByText('Service contract').waitFor({ timeout: 5000 });
  const shown = await page.locator('#items li').evaluateAll((lis) => lis.map((li) => ({
    name: li.dataset.name, digest: li.querySelector('.digest')?.textContent ?? '' })));
  assert.deepEqual(shown, expectItems, 'the signing page shows other items');
  await shot(page, `${name}-request`);
  await page.locator('#sign-continue').click();
  await page.getByRole('img', { name: 'QR code' }).waitFor({ timeout: 10000 });
  // The wallet step says it is a signature and lists the same items.
  await page.getByRole('heading', { name: 'Sign with certME' }).waitFor({ timeout: 5000 });
  const listed = await page.locator('#sign-items li').evaluateAll((lis) => lis.map((li) => ({
    name: li.dataset.name, digest: li.querySelector('.digest')?.textContent ?? '' })));
  assert.deepEqual(listed, expectItems, 'the wallet step lists other items');
  const link = await page.locator('#deeplink').getAttribute('href');
  return { page, seen, link, png: await shot(page, `${name}-qr`) };
}

const withPage = (page, name, fn) => withLogs(fn, logs, () => shot(page, `${name}-failed`));

// The browser comes back to the provider's return URL with the request's id
// and the RelayState it sent.
async function backAtProvider(page, created) {
  await page.waitForURL((u) => u.href.startsWith(provider.returnUrl), { timeout: 30000 });
  const back = new URL(page.url()).searchParams;
  assert.equal(back.get('sign_id'), created.id);
  return back;
}

async function statusWhenDone(id) {
  let s;
  await waitFor(`request ${id} to leave pending`, async () => {
    s = await provider.status(id);
    return s.status !== 'pending';
  }, 20000, 200);
  return s;
}

const validatorAnswers = () => hub.validatorAnswers();

before(() => withLogs(setUp, logs));
after(tearDown);

test('1. a digest and a PDF for Ion, signed with `certme wallet sign`: Success, and jose verifies both signatures', async () => {
  const annexDigest = sha256(annex);
  const created = await provider.create({
    items: [{ name: 'contract.pdf', pdf: pdf.toString('base64') },
      { name: 'annex-1.txt', hash_alg: 'S256', digest: annexDigest.toString('base64url') }],
    signer: { type: 'person', idnp: ion.idnp },
  });
  const { page, seen, png } = await toWalletStep(created, '1', { expectItems: [
    { name: 'contract.pdf', digest: sha256(pdf).toString('hex') },
    { name: 'annex-1.txt', digest: annexDigest.toString('hex') }] });
  await withPage(page, '1', async () => {
    const answer = await walletSign(png);
    assert.equal(answer.code, 0, `certme wallet sign failed:\n${answer.stderr}${answer.stdout}`);
    assert.match(answer.stdout, /contract\.pdf/);
    const back = await backAtProvider(page, created);
    assert.match(back.get('RelayState') ?? '', /^order-/);
    assert.deepEqual(await leakProblems(seen, page), [], 'a page shows internal detail');
  });
  await page.close();

  const status = await statusWhenDone(created.id);
  assert.equal(status.status, 'success', JSON.stringify(status));
  assert.equal(status.signer.idnp, ion.idnp);
  assert.equal(status.signer.first_name, 'Ion');
  assert.ok(sameAddress(status.signer.eid, addresses.ion), `signer ${status.signer.eid}, Ion is ${addresses.ion}`);
  // The first signature for this provider went through the validator.
  await waitFor('the validator\'s answer in its log', () => validatorAnswers().length >= 1, 5000).catch(() => {});
  const answers = validatorAnswers();
  assert.equal(answers.length, 1, `validator answers: ${JSON.stringify(answers)}`);
  assert.ok(sameAddress(answers[0].provider, addresses.notary), `answered ${answers[0].provider}`);

  const sigs = await provider.call('GET', `/sign/v1/requests/${created.id}/signatures`);
  assert.equal(sigs.status, 200, JSON.stringify(sigs.json));
  const byName = Object.fromEntries(sigs.json.signatures.map((s) => [s.name, s]));
  assert.deepEqual(Object.keys(byName).sort(), ['annex-1.txt', 'contract.pdf']);
  for (const [name, digest] of [['contract.pdf', sha256(pdf)], ['annex-1.txt', annexDigest]]) {
    const header = await joseVerify(byName[name].jades, digest);
    assert.equal(header.kid.split(':')[2].toLowerCase(), addresses.ion.toLowerCase(), 'signed by another key');
    assert.deepEqual(header.sigD.pars, [name]);
    const signedAt = Date.parse(header.sigT);
    assert.ok(Math.abs(signedAt - Date.now()) < 120000, `sigT ${header.sigT}`);
  }
  // A signature does not verify another document.
  const other = Buffer.from(pdf);
  other[10] ^= 1;
  await assert.rejects(joseVerify(byName['contract.pdf'].jades, sha256(other)), /another document/);

  // The bridge's program, without the bridge, finds the record on the ledger.
  const pdfFile = path.join(work, 'contract.pdf');
  const sigFile = path.join(work, 'contract.pdf.jades.json');
  fs.writeFileSync(pdfFile, pdf);
  fs.writeFileSync(sigFile, JSON.stringify(byName['contract.pdf'].jades));
  const verified = certmeRun(['sign', 'verify', pdfFile, sigFile]);
  assert.match(verified, /^valid:/m, verified);
  assert.match(verified, new RegExp(addresses.ion.slice(2), 'i'));
  Object.assign(signed, { pdfFile, sigFile, jades: byName['contract.pdf'].jades });
});

test('2. the npm-only wallet (ethers) signs Maria\'s request from the same-device link: Success, verified with jose', async () => {
  const digest = sha256(Buffer.from('Maria\'s lease, 2027\n'));
  const created = await provider.create({
    items: [{ name: 'lease.txt', hash_alg: 'S256', digest: digest.toString('base64url') }],
    signer: { type: 'person', idnp: maria.idnp },
  });
  const { page, link } = await toWalletStep(created, '2', { expectItems: [{ name: 'lease.txt', digest: digest.toString('hex') }] });
  await withPage(page, '2', async () => {
    const answer = await spawnOut(process.execPath, [npmWallet, '--link', link, '--key', mariaKey, '--enrollment', maria.enrollment]);
    assert.equal(answer.code, 0, `login.mjs failed:\n${answer.stderr}${answer.stdout}`);
    assert.match(answer.stdout, /signs: lease\.txt/);
    await backAtProvider(page, created);
  });
  await page.close();
  const status = await statusWhenDone(created.id);
  assert.equal(status.status, 'success', JSON.stringify(status));
  assert.equal(status.signer.idnp, maria.idnp);
  const sigs = await provider.call('GET', `/sign/v1/requests/${created.id}/signatures`);
  assert.equal(sigs.status, 200, JSON.stringify(sigs.json));
  const header = await joseVerify(sigs.json.signatures[0].jades, digest);
  assert.ok(header.kid.toLowerCase().endsWith(addresses.maria.toLowerCase()), header.kid);
});

test('3. Ion refuses: Failure (refused), the browser returns to the provider, no signatures', async () => {
  const digest = sha256(Buffer.from('a contract Ion will not sign\n'));
  const created = await provider.create({
    items: [{ name: 'unwanted.txt', hash_alg: 'S256', digest: digest.toString('base64url') }],
    signer: { type: 'person', idnp: ion.idnp },
  });
  const { page, png } = await toWalletStep(created, '3', { expectItems: [{ name: 'unwanted.txt', digest: digest.toString('hex') }] });
  await withPage(page, '3', async () => {
    const answer = await walletSign(png, '--refuse');
    assert.equal(answer.code, 0, `certme wallet sign --refuse failed:\n${answer.stderr}${answer.stdout}`);
    await backAtProvider(page, created);
  });
  await page.close();
  const status = await statusWhenDone(created.id);
  assert.deepEqual([status.status, status.reason], ['failure', 'refused']);
  const sigs = await provider.call('GET', `/sign/v1/requests/${created.id}/signatures`);
  assert.equal(sigs.status, 409);
  assert.equal(sigs.json.error, 'not_signed');
});

test('4. a request for Maria signed by Ion: Failure (wrong_signer), nothing recorded', async () => {
  const digest = sha256(Buffer.from('Maria\'s power of attorney\n'));
  const created = await provider.create({
    items: [{ name: 'attorney.txt', hash_alg: 'S256', digest: digest.toString('base64url') }],
    signer: { type: 'person', idnp: maria.idnp },
  });
  const { page, png } = await toWalletStep(created, '4', { expectItems: [{ name: 'attorney.txt', digest: digest.toString('hex') }] });
  await withPage(page, '4', async () => {
    await walletSign(png);  // the bridge's refusal is the wallet's error
    await backAtProvider(page, created);
  });
  await page.close();
  const status = await statusWhenDone(created.id);
  assert.deepEqual([status.status, status.reason], ['failure', 'wrong_signer']);
  assert.equal((await provider.call('GET', `/sign/v1/requests/${created.id}/signatures`)).status, 409);
});

test('5. for Ion\'s company (signer type organization): his validated entity and IDNO make it Success', async () => {
  const digest = sha256(Buffer.from('Exemplu SRL: supply contract\n'));
  const created = await provider.create({
    items: [{ name: 'supply.txt', hash_alg: 'S256', digest: digest.toString('base64url') }],
    signer: { type: 'organization', idnp: ion.idnp, idno: company.idno },
  });
  const { page, png } = await toWalletStep(created, '5', { expectItems: [{ name: 'supply.txt', digest: digest.toString('hex') }] });
  await withPage(page, '5', async () => {
    assert.equal(await page.locator('#organization').count(), 0, 'the wallet step is a new page');
    const answer = await walletSign(png);
    assert.equal(answer.code, 0, `certme wallet sign failed:\n${answer.stderr}${answer.stdout}`);
    await backAtProvider(page, created);
  });
  await page.close();
  const status = await statusWhenDone(created.id);
  assert.equal(status.status, 'success', JSON.stringify(status));
  assert.equal(status.signer.idno, company.idno);
  assert.equal(status.signer.administered_legal_entity, `${company.name} ${company.idno}`);
  const sigs = await provider.call('GET', `/sign/v1/requests/${created.id}/signatures`);
  await joseVerify(sigs.json.signatures[0].jades, digest);

  // Another company's IDNO: Ion does not administer it.
  const otherDigest = sha256(Buffer.from('Altă SRL: supply contract\n'));
  const wrong = await provider.create({
    items: [{ name: 'other.txt', hash_alg: 'S256', digest: otherDigest.toString('base64url') }],
    signer: { type: 'organization', idnp: ion.idnp, idno: '1009600054321' },
  });
  const step = await toWalletStep(wrong, '5-other', { expectItems: [{ name: 'other.txt', digest: otherDigest.toString('hex') }] });
  await withPage(step.page, '5-other', async () => {
    await walletSign(step.png);
    await backAtProvider(step.page, wrong);
  });
  await step.page.close();
  const refused = await statusWhenDone(wrong.id);
  assert.deepEqual([refused.status, refused.reason], ['failure', 'wrong_organization']);

  // Ion sees who had which attributes validated to sign and what he signed:
  // an access record per signing login that released them (steps 1 and 5;
  // the other company's request released nothing), which only his wallet
  // opens, and the ledger's record of each signature. The bridge submits the
  // access records in the background.
  const directory = `${bridge.url}/.well-known/certme-providers.json`;
  let records = [];
  let last = '';
  for (const until = Date.now() + 30000; Date.now() < until; await sleep(500)) {
    last = certmeRun(['wallet', 'history', '--wallet', walletFile, '--directory', directory, '--lang', 'en']);
    records = last.split('\n').filter((l) => l.startsWith('access record ') && l.includes('(sign, '));
    if (records.length >= 2) break;
  }
  assert.equal(records.length, 2, `history:\n${last}`);
  for (const r of records) assert.match(r, /Example Notary \(0x[0-9a-fA-F]{40}\) received .*idnp/, r);
  assert.match(records[1], /administered_legal_entity/, records[1]);
  const signatures = last.split('\n').filter((l) => l.startsWith('signature ') && l.includes('Example Notary'));
  assert.equal(signatures.length, 3, `history:\n${last}`);
});

test('6. a service calling from outside its MSign addresses: 403 with the reason, nothing created', async () => {
  const r = await provider.far.call('POST', '/sign/v1/requests', {
    items: [{ name: 'x.txt', hash_alg: 'S256', digest: sha256(annex).toString('base64url') }],
    signer: { type: 'person', idnp: ion.idnp }, return_url: provider.far.returnUrl,
  });
  assert.equal(r.status, 403, JSON.stringify(r.json));
  assert.equal(r.json.error, 'forbidden');
  assert.match(r.json.error_description, /address/);
  assert.doesNotMatch(JSON.stringify(r.json), /127\.0\.0\.1|192\.0\.2/, 'the answer names addresses');
  await waitFor('the refusal in the bridge\'s log', () => /sign api request refused/.test(bridge.logTail(200)), 5000);
  // An unauthenticated call is refused before anything else.
  const anonymous = await fetch(`${bridge.url}/sign/v1/requests`, { method: 'POST', body: '{}' });
  assert.equal(anonymous.status, 401);
  // Another client never sees the notary's requests.
  const foreign = await provider.far.call('GET', `/sign/v1/requests/${lateRequest.id}`);
  assert.equal(foreign.status, 403, 'the allowlist is checked before the lookup');
});

test('7. a request nobody signed within its lifetime: Expired, and its page says so', async () => {
  const wait = lateRequest.expires_at * 1000 - Date.now() + 1500;
  if (wait > 0) await sleep(wait);
  const status = await provider.status(lateRequest.id);
  assert.deepEqual([status.status, status.reason], ['expired', 'expired']);
  const page = await context.newPage();
  const res = await page.goto(lateRequest.sign_url);
  assert.ok(res.status() >= 400 || !(await page.locator('#sign-continue').count()), 'an expired request offers to sign');
  await shot(page, '7-expired');
  await page.close();
});

test('8. Ion\'s eID revoked: step 1\'s signature is still valid (active when made, revoked now); he can sign nothing new', async () => {
  certmeRun(['admin', 'revoke-eid', addresses.ion]);
  const verify = await provider.call('POST', '/sign/v1/verify', { signature: signed.jades, pdf: pdf.toString('base64') });
  assert.equal(verify.status, 200, JSON.stringify(verify.json));
  assert.equal(verify.json.valid, true, JSON.stringify(verify.json));
  assert.equal(verify.json.eid_status_at_signing, 'active');
  assert.equal(verify.json.eid_status_now, 'revoked');
  assert.equal(verify.json.signer.idnp, ion.idnp);
  // Without the bridge: jose still verifies the mathematics, and the
  // bridge's program reads the eID's status now from the ledger.
  await joseVerify(signed.jades, sha256(pdf));
  const cli = certmeRun(['sign', 'verify', signed.pdfFile, signed.sigFile]);
  assert.match(cli, /revoked/, cli);
  // Against another document: not valid.
  const mismatch = await provider.call('POST', '/sign/v1/verify',
    { signature: signed.jades, digest: sha256(annex).toString('base64url'), hash_alg: 'S256' });
  assert.deepEqual([mismatch.json.valid, mismatch.json.reason], [false, 'digest_mismatch']);

  const digest = sha256(Buffer.from('signed after the revocation\n'));
  const created = await provider.create({
    items: [{ name: 'late-contract.txt', hash_alg: 'S256', digest: digest.toString('base64url') }],
    signer: { type: 'person', idnp: ion.idnp },
  });
  const { page, png } = await toWalletStep(created, '8', { expectItems: [{ name: 'late-contract.txt', digest: digest.toString('hex') }] });
  await withPage(page, '8', async () => {
    const answer = await walletSign(png);
    assert.notEqual(answer.code, 0, 'a revoked eID signed');
    await backAtProvider(page, created);
  });
  await page.close();
  const status = await statusWhenDone(created.id);
  assert.deepEqual([status.status, status.reason], ['failure', 'eid_not_active'], JSON.stringify(status));
});
