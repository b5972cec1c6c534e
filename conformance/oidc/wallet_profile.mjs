#!/usr/bin/env node
// The OAuth security profile journey with the wallet approving
// (conformance/README.md, "conformance.oidc_wallet_profile"): the real
// `certme idp` with the wallet login only (no development login), the
// validator service, an embedded ledger in hub mode (a provider account per
// client), one user in the reference wallet, and Debian's nginx in front
// terminating TLS and verifying client certificates against a test CA made
// here with openssl. openid-client then does, through nginx, with every
// login approved by `certme wallet approve` on the page's same-device link:
//
//   PAR (the request_uri used once), a signed request object (JAR),
//   DPoP-bound tokens (UserInfo, refresh), certificate-bound tokens of a
//   tls_client_auth client (RFC 8705; cnf["x5t#S256"], another certificate
//   or none refused, a forged header past nginx ignored), introspection,
//   revocation, dynamic registration and its management (RFC 7591/7592),
//   and a FAPI 2.0 client (profile fapi2) that logs in following every
//   rule and is refused for each one it breaks.
//
//   node conformance/oidc/wallet_profile.mjs --certme build/certme
//
// Fails, never skips, when openid-client, jose, nginx or openssl is missing.

import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const kName = 'conformance.oidc_wallet_profile';

function fail(message) {
  console.error(`${kName}: ${message}`);
  process.exit(1);
}

for (const dep of ['openid-client', 'jose']) {
  if (!fs.existsSync(path.join(root, 'node_modules', dep, 'package.json'))) {
    fail(`npm dependency "${dep}" is not installed in ${path.join(root, 'node_modules')}.\n` +
      `  Install it with: npm ci --prefix ${root}   (scripts/deps does this)`);
  }
}
for (const tool of ['nginx', 'openssl']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    fail(`${tool} is not installed (Debian ${tool}; scripts/deps installs the packages of scripts/packages.txt)`);
  }
}
const args = process.argv.slice(2);
const at = args.indexOf('--certme');
const certmeArg = at >= 0 ? args[at + 1] : process.env.CERTME_BIN;
if (!certmeArg) fail('usage: wallet_profile.mjs --certme <path to the certme binary>');
const certme = path.resolve(certmeArg);
if (!fs.existsSync(certme)) fail(`certme binary not found at ${certme} (build the certme target first)`);

// About 30 s on an idle machine; this ends a hung run (children included)
// before ctest's own limit would kill only this process.
const kDeadlineMs = 170000;
setTimeout(() => {
  console.error(`${kName}: overall deadline of ${kDeadlineMs / 1000} s passed; stopping everything`);
  process.exit(1);
}, kDeadlineMs).unref();

const { describe, test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');
const oidc = await import('openid-client');
const jose = await import('jose');
const { Browser } = await import('./lib/browser.mjs');
const { Child, runOk, waitFor } = await import('./lib/child.mjs');
const { makeClients, clientsFile } = await import('./lib/fixtures.mjs');
const { authorize, callbackOf, codeFlow, expectErrorRedirect, refusal } = await import('./lib/flows.mjs');
const { NginxFront, kProxyAddress, makeTestPki, tlsFetch } = await import('./lib/mtls_front.mjs');
const { RelyingPartyEndpoint } = await import('./lib/rp.mjs');
const { Bridge, freePort } = await import('./lib/server.mjs');
const { cleanEnv, enrolledUser, walletLogin } = await import('./lib/wallet.mjs');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'certme-wallet-profile-'));
const kUser = ['first_name=Ion', 'last_name=Popescu', 'birth_date=1985-04-12', 'gender=1', 'language=ro'];
const kScope = 'openid profile';
// Clients that log a user in; each is its own provider on the ledger.
const kLoginClients = ['rp-par', 'rp-jar', 'rp-dpop', 'rp-mtls', 'rp-fapi'];

let env;         // CERTME_* settings of every certme process of the run
let walletFile;
let pki;
let validator;
let bridge;
let front;
let rp;
let ctx;
let login;       // the wallet login hook, counting approvals
let parFlow;     // tokens of rp-par's login, for introspection and revocation

// The bridge's store and hub settings, for `certme admin …` beside it.
const adminEnv = () => cleanEnv({ ...env, CERTME_STORE_SQLITE_PATH: path.join(work, 'main.db') });
const certmeAdmin = (argv) => runOk(certme, ['admin', ...argv], { cwd: work, env: adminEnv() });

function validatorAnswers() {
  let text = '';
  try { text = fs.readFileSync(validator.logPath, 'utf8'); } catch { return 0; }
  return text.split('\n').filter((l) => l.includes('"validation answered"')).length;
}

function logs() {
  return [
    `--- bridge\n${bridge?.logTail(25) ?? ''}`,
    `--- validator\n${validator?.logTail(10) ?? ''}`,
    `--- nginx\n${front?.logTail() ?? ''}`,
  ].join('\n');
}

// A test that, when it fails, says what the servers logged.
function journeyTest(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (err) {
      err.message += `\n${logs()}`;
      throw err;
    }
  });
}

// One of the test clients, under another id (the fixtures' shape).
function derivedClient(from, id, yaml, extra = {}) {
  const c = structuredClone({ ...from, privateKey: undefined, rsaKey: undefined, requestKey: undefined, strangerKey: undefined });
  Object.assign(c, { id, redirectUri: rp.url(`/cb/${id}`), ...extra });
  c.yaml = { ...c.yaml, client_id: id, redirect_uris: [rp.url(`/cb/${id}`)], ...yaml };
  for (const [k, v] of Object.entries(c.yaml)) if (v === undefined) delete c.yaml[k];
  return c;
}

// What the flows in lib/flows.mjs need of a context, for one bridge behind
// nginx: every request through the TLS front, the browser logging in with
// the wallet.
class FrontContext {
  constructor({ clients }) {
    this.workDir = work;
    this.rp = rp;
    this.clients = clients;
    this.configs = new Map();
    this.main = { name: 'main', url: front.url, workDir: work, binary: certme };
    this.fetch = tlsFetch({ ca: pki.ca });
  }

  client(id) {
    const c = this.clients[id];
    if (!c) throw new Error(`no test client ${id}`);
    return c;
  }

  newBrowser() {
    return new Browser('user', { fetch: this.fetch, login });
  }

  // The fetch a client uses: with its TLS client certificate when it has one.
  fetchFor(client) {
    return client.tls ? tlsFetch({ ca: pki.ca, cert: client.tls.cert, key: client.tls.key }) : this.fetch;
  }

  clientAuth(client) {
    switch (client.auth) {
      case 'client_secret_basic': return oidc.ClientSecretBasic(client.secret);
      case 'private_key_jwt': return oidc.PrivateKeyJwt(client.privateKey);
      case 'tls_client_auth': return oidc.TlsClientAuth();
      default: throw new Error(`unsupported auth ${client.auth}`);
    }
  }

  async config(clientId) {
    if (!this.configs.has(clientId)) {
      const client = this.client(clientId);
      const metadata = { id_token_signed_response_alg: client.idTokenAlg, redirect_uris: [client.redirectUri] };
      if (client.secret) metadata.client_secret = client.secret;
      const config = await oidc.discovery(new URL(front.url), client.id, metadata, this.clientAuth(client), {
        [oidc.customFetch]: this.fetchFor(client), execute: [oidc.enableNonRepudiationChecks],
      });
      this.configs.set(clientId, config);
    }
    return this.configs.get(clientId);
  }
}

// A request by hand through `transport`: status, headers, parsed JSON.
async function call(transport, url, init = {}) {
  const res = await transport(url, init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

async function setUp() {
  pki = await makeTestPki(path.join(work, 'tls'), ['rp-mtls', 'stranger']);
  const kek = path.join(work, 'keys', 'provider.kek');
  fs.mkdirSync(path.dirname(kek), { recursive: true, mode: 0o700 });
  fs.writeFileSync(kek, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  ({ env, walletFile } = await enrolledUser({
    certme, work, attrs: kUser,
    extraEnv: {
      // Hub mode: a provider account per client (docs/ledger.md).
      CERTME_LEDGER_PROVIDER_ACCOUNTS: 'hub',
      CERTME_LEDGER_PROVIDER_KEK_FILE: kek,
      CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS: '20',
    },
  }));
  validator = new Child('validator', certme, ['validator', 'serve'], { cwd: work, env: cleanEnv(env) });

  rp = await new RelyingPartyEndpoint().start();
  const fixtures = await makeClients(rp);
  const clients = {};
  for (const id of ['rp-par', 'rp-jar', 'rp-dpop', 'rp-fapi']) clients[id] = fixtures[id];
  // RFC 8705: tls_client_auth by the certificate's subject, tokens bound
  // to the certificate.
  const mtls = pki.clients['rp-mtls'];
  clients['rp-mtls'] = derivedClient(fixtures['rp-basic'], 'rp-mtls', {
    client_secret: undefined,
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: mtls.subjectDn,
    tls_client_certificate_bound_access_tokens: true,
  }, { secret: undefined, auth: 'tls_client_auth', tls: mtls });
  const clientsPath = path.join(work, 'clients.yaml');
  fs.writeFileSync(clientsPath, clientsFile(clients), { mode: 0o600 });

  front = new NginxFront({ dir: path.join(work, 'nginx'), pki, port: await freePort() });
  bridge = new Bridge({ binary: certme, name: 'main', workDir: work, env: {
    ...env,
    CERTME_SERVER_PUBLIC_URL: front.url,
    CERTME_SERVER_TRUSTED_PROXIES: kProxyAddress,
    CERTME_LOGIN_DEV_LOGIN: 'false',
    CERTME_LOGIN_WALLET_LOGIN: 'true',
    CERTME_LOGIN_WALLET_KEY_FILE: path.join(work, 'keys', 'wallet-login.key'),
    CERTME_OIDC_DEV_CLIENTS_FILE: clientsPath,
    CERTME_ADMIN_ENABLED: 'true',
    CERTME_OIDC_REGISTRATION_ENABLED: 'true',
  } });
  await bridge.start();
  await front.start(bridge.url);
  // The scheme administrator authorizes the clients by their ids (the
  // bridge made their provider keys at start).
  for (const id of kLoginClients) await certmeAdmin(['authorize-provider', id]);

  login = walletLogin({ certme, env, cwd: work, walletFile, cacert: pki.caFile });
  ctx = new FrontContext({ clients });
}

async function tearDown() {
  await front?.stop();
  await bridge?.stop();
  await validator?.stop();
  await rp?.stop();
  if (process.env.CERTME_CONFORMANCE_KEEP === '1') console.error(`${kName}: logs and data kept in ${work}`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}

async function thumbprint(keyPair) {
  return jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey), 'sha256');
}

// GET /authorize without following redirects: the status nginx passes on.
async function authorizeStatus(url) {
  const res = await ctx.fetch(url);
  await res.arrayBuffer();
  return res.status;
}

describe('OAuth security profile with the wallet approving, through nginx (mTLS)', { concurrency: 1 }, () => {
  before(async () => {
    try {
      await setUp();
    } catch (err) {
      err.message += `\n${logs()}`;
      throw err;
    }
  });
  after(tearDown);

  journeyTest('discovery through nginx names the https front, the wallet login only', async () => {
    const meta = (await ctx.config('rp-par')).serverMetadata();
    assert.equal(meta.issuer, front.url);
    assert.equal(meta.pushed_authorization_request_endpoint, `${front.url}/par`);
    assert.equal(meta.tls_client_certificate_bound_access_tokens, true);
    const dev = await call(ctx.fetch, `${front.url}/login/dev`);
    assert.equal(dev.status, 404, 'the development login is off');
  });

  journeyTest('PAR: a pushed request, approved in the wallet; its request_uri works once', async () => {
    const flow = await codeFlow(ctx, 'rp-par', { par: true, params: { scope: kScope } });
    assert.equal(login.answered, 1, 'the wallet approved the login');
    assert.match(flow.url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
    assert.deepEqual([...flow.url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.equal(flow.claims.aud, 'rp-par');
    assert.equal(flow.claims.given_name, 'Ion');
    assert.equal(flow.claims.family_name, 'Popescu');
    // RFC 9126 §4: the request_uri is spent.
    assert.equal(await authorizeStatus(flow.url), 400);
    parFlow = flow;
  });

  journeyTest('JAR: a signed request object, approved in the wallet; an unsigned one never reaches a login', async () => {
    const flow = await codeFlow(ctx, 'rp-jar', { jar: true, params: { scope: kScope } });
    assert.deepEqual([...flow.url.searchParams.keys()].sort(), ['client_id', 'request']);
    assert.equal(flow.claims.aud, 'rp-jar');
    assert.equal(flow.claims.nonce, flow.nonce);
    const client = ctx.client('rp-jar');
    const now = Math.floor(Date.now() / 1000);
    const state = oidc.randomState();
    const unsigned = new jose.UnsecuredJWT({
      iss: client.id, aud: front.url, client_id: client.id, iat: now, exp: now + 120, response_type: 'code',
      scope: kScope, redirect_uri: client.redirectUri, state, nonce: oidc.randomNonce(),
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).encode();
    const url = new URL(`${front.url}/authorize`);
    url.search = new URLSearchParams({ client_id: client.id, request: unsigned, redirect_uri: client.redirectUri, state }).toString();
    const answered = login.answered;
    const browser = ctx.newBrowser();
    const outcome = await browser.drive(url, { rpOrigin: rp.origin });
    const refused = expectErrorRedirect({ outcome, browser }, 'invalid_request_object');
    assert.equal(refused.get('state'), state);
    assert.equal(login.answered, answered, 'no wallet login for a refused request object');
  });

  journeyTest('DPoP: bound tokens from a wallet login; UserInfo needs the proof; a refresh keeps the binding', async () => {
    const config = await ctx.config('rp-dpop');
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const dpop = oidc.getDPoPHandle(config, keyPair);
    const jkt = await thumbprint(keyPair);
    const flow = await codeFlow(ctx, 'rp-dpop', { dpop, params: { scope: kScope } });
    assert.equal(flow.tokens.token_type.toLowerCase(), 'dpop');
    const info = await oidc.fetchUserInfo(config, flow.tokens.access_token, flow.claims.sub, { DPoP: dpop });
    assert.equal(info.given_name, 'Ion');
    const userinfo = config.serverMetadata().userinfo_endpoint;
    const bearer = await call(ctx.fetch, userinfo, { headers: { authorization: `Bearer ${flow.tokens.access_token}` } });
    assert.equal(bearer.status, 401, 'a DPoP-bound token without its proof');
    assert.match(bearer.headers.get('www-authenticate') ?? '', /^DPoP .*error="invalid_token"/);
    assert.equal((await oidc.tokenIntrospection(config, flow.tokens.access_token)).cnf?.jkt, jkt);

    const refreshed = await oidc.refreshTokenGrant(config, flow.tokens.refresh_token, undefined, { DPoP: dpop });
    assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
    const again = await oidc.fetchUserInfo(config, refreshed.access_token, flow.claims.sub, { DPoP: dpop });
    assert.equal(again.sub, flow.claims.sub);
    const intro = await oidc.tokenIntrospection(config, refreshed.access_token);
    assert.equal(intro.active, true);
    assert.equal(intro.cnf?.jkt, jkt, 'the refreshed token is bound to the same key');
    const noProof = await call(ctx.fetch, userinfo, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
    assert.equal(noProof.status, 401);
  });

  journeyTest('certificate-bound tokens (RFC 8705) through nginx: tls_client_auth, cnf x5t#S256, another certificate refused', async () => {
    const client = ctx.client('rp-mtls');
    const config = await ctx.config('rp-mtls');
    const flow = await codeFlow(ctx, 'rp-mtls', { params: { scope: kScope } });
    assert.equal(flow.tokens.token_type.toLowerCase(), 'bearer');
    const intro = await oidc.tokenIntrospection(config, flow.tokens.access_token);
    assert.equal(intro.active, true);
    assert.equal(intro.client_id, 'rp-mtls');
    assert.equal(intro.cnf?.['x5t#S256'], client.tls.x5tS256, 'bound to the certificate nginx verified');
    const info = await oidc.fetchUserInfo(config, flow.tokens.access_token, flow.claims.sub);
    assert.equal(info.given_name, 'Ion');

    const userinfo = config.serverMetadata().userinfo_endpoint;
    const auth = { authorization: `Bearer ${flow.tokens.access_token}` };
    const stranger = tlsFetch({ ca: pki.ca, cert: pki.clients.stranger.cert, key: pki.clients.stranger.key });
    const other = await call(stranger, userinfo, { headers: auth });
    assert.equal(other.status, 401, 'UserInfo with another client certificate');
    assert.match(other.headers.get('www-authenticate') ?? '', /invalid_token/);
    assert.equal((await call(ctx.fetch, userinfo, { headers: auth })).status, 401, 'UserInfo without a certificate');
    // Past nginx, straight to the bridge: a certificate header from a peer
    // that is not a trusted proxy is not believed.
    const forged = await call(fetch, `${bridge.url}/userinfo`,
      { headers: { ...auth, 'x-ssl-client-cert': encodeURIComponent(client.tls.cert.toString()) } });
    assert.equal(forged.status, 401, 'a forged certificate header sent to the bridge directly');

    // The refresh (tls_client_auth again) keeps the binding; without the
    // certificate the client does not authenticate at all.
    const refreshed = await oidc.refreshTokenGrant(config, flow.tokens.refresh_token);
    const again = await oidc.tokenIntrospection(config, refreshed.access_token);
    assert.equal(again.cnf?.['x5t#S256'], client.tls.x5tS256);
    const bare = await oidc.discovery(new URL(front.url), client.id, { redirect_uris: [client.redirectUri] },
      oidc.TlsClientAuth(), { [oidc.customFetch]: ctx.fetch });
    assert.equal(await refusal(oidc.refreshTokenGrant(bare, refreshed.refresh_token ?? flow.tokens.refresh_token)),
      'invalid_client');
    const wrongCert = await oidc.discovery(new URL(front.url), client.id, { redirect_uris: [client.redirectUri] },
      oidc.TlsClientAuth(), { [oidc.customFetch]: stranger });
    assert.equal(await refusal(oidc.refreshTokenGrant(wrongCert, refreshed.refresh_token ?? flow.tokens.refresh_token)),
      'invalid_client');
  });

  journeyTest('introspection (RFC 7662): active for the owner, active:false for another client', async () => {
    assert.ok(parFlow, 'the PAR login gave tokens');
    const mine = await oidc.tokenIntrospection(parFlow.config, parFlow.tokens.access_token);
    assert.equal(mine.active, true);
    assert.equal(mine.client_id, 'rp-par');
    assert.equal(mine.sub, parFlow.claims.sub);
    const refresh = await oidc.tokenIntrospection(parFlow.config, parFlow.tokens.refresh_token,
      { token_type_hint: 'refresh_token' });
    assert.equal(refresh.active, true);
    const other = await oidc.tokenIntrospection(await ctx.config('rp-dpop'), parFlow.tokens.access_token);
    assert.deepEqual(other, { active: false });
  });

  journeyTest('revocation (RFC 7009): the access token, then the refresh token and its grant', async () => {
    const { config, tokens } = parFlow;
    const userinfo = config.serverMetadata().userinfo_endpoint;
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    assert.equal((await call(ctx.fetch, userinfo, { headers: bearer })).status, 200);
    // Another client may not revoke it.
    assert.equal(await refusal(oidc.tokenRevocation(await ctx.config('rp-dpop'), tokens.access_token)), 'unauthorized_client');
    await oidc.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
    assert.equal((await call(ctx.fetch, userinfo, { headers: bearer })).status, 401);
    assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
    await oidc.tokenRevocation(config, tokens.refresh_token);
    assert.equal(await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token)), 'invalid_grant');
  });

  journeyTest('dynamic registration (RFC 7591) with an initial access token, a wallet login, RFC 7592 read, update, delete', async () => {
    const initial = await certmeAdmin(['create-initial-token', '--name', 'wallet-profile', '--uses', '1', '--ttl', '1h']);
    const metadata = {
      redirect_uris: [rp.url('/cb/dyn')], client_name: 'Partner with the wallet',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'RS256', scope: kScope,
    };
    const config = await oidc.dynamicClientRegistration(new URL(front.url), metadata, oidc.ClientSecretBasic(), {
      initialAccessToken: initial, [oidc.customFetch]: ctx.fetch, execute: [oidc.enableNonRepudiationChecks],
    });
    const meta = config.clientMetadata();
    const id = meta.client_id;
    assert.equal(meta.registration_client_uri, `${front.url}/register/${id}`);
    // A new provider on the ledger: the scheme administrator authorizes it.
    await certmeAdmin(['authorize-provider', id]);
    ctx.clients[id] = { id, secret: meta.client_secret, auth: 'client_secret_basic', redirectUri: meta.redirect_uris[0], idTokenAlg: 'RS256' };
    ctx.configs.set(id, config);
    const flow = await codeFlow(ctx, id, { params: { scope: kScope } });
    assert.equal(flow.claims.aud, id);
    assert.equal(flow.claims.given_name, 'Ion');

    const manage = (method, body) => oidc.fetchProtectedResource(config, meta.registration_access_token,
      new URL(meta.registration_client_uri), method, body ? JSON.stringify(body) : undefined,
      new Headers(body ? { 'content-type': 'application/json' } : {}));
    const read = await manage('GET');
    assert.equal(read.status, 200);
    assert.deepEqual((await read.json()).redirect_uris, meta.redirect_uris);
    const put = await manage('PUT', { ...metadata, client_id: id, client_name: 'Renamed partner',
      redirect_uris: [rp.url('/cb/dyn'), rp.url('/cb/dyn2')] });
    assert.equal(put.status, 200);
    const updated = await put.json();
    assert.equal(updated.client_name, 'Renamed partner');
    assert.deepEqual(updated.redirect_uris, [rp.url('/cb/dyn'), rp.url('/cb/dyn2')]);
    // The grant of the login outlives the update (same secret).
    await oidc.refreshTokenGrant(config, flow.tokens.refresh_token);
    const del = await manage('DELETE');
    assert.equal(del.status, 204);
    const gone = await refusal(manage('GET'));
    assert.ok(['invalid_token', 'invalid_client', 'OAUTH_WWW_AUTHENTICATE_CHALLENGE'].includes(gone), `after delete: ${gone}`);
    assert.equal(await refusal(oidc.refreshTokenGrant(config, flow.tokens.refresh_token)), 'invalid_client');
  });

  describe('FAPI 2.0 Security Profile (profile: fapi2) with the wallet approving', () => {
    const grant = (auth, dpop) => oidc.authorizationCodeGrant(auth.config, callbackOf(auth), {
      pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce, idTokenExpected: true,
    }, undefined, dpop ? { DPoP: dpop } : undefined);

    journeyTest('a login that follows every rule: PAR, PKCE, private_key_jwt, DPoP-bound tokens', async () => {
      const config = await ctx.config('rp-fapi');
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const dpop = oidc.getDPoPHandle(config, keyPair);
      const auth = await authorize(ctx, 'rp-fapi', { par: true, parDpop: dpop, params: { scope: kScope } });
      assert.equal(new URL(callbackOf(auth)).searchParams.get('iss'), front.url);
      const tokens = await grant(auth, dpop);
      assert.equal(tokens.token_type.toLowerCase(), 'dpop');
      assert.equal(tokens.claims().given_name, 'Ion');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP: dpop });
      assert.equal(info.family_name, 'Popescu');
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).cnf?.jkt, await thumbprint(keyPair));
      const next = await oidc.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP: dpop });
      assert.equal(next.refresh_token, undefined, 'FAPI 2.0: refresh tokens are not rotated');
    });

    journeyTest('refused: not pushed (at the redirect URI, before any login)', async () => {
      const answered = login.answered;
      const auth = await authorize(ctx, 'rp-fapi', { params: { scope: kScope } });
      const params = expectErrorRedirect(auth, 'invalid_request');
      assert.match(params.get('error_description') ?? '', /pushed/);
      assert.equal(params.get('iss'), front.url);
      assert.equal(login.answered, answered);
    });

    journeyTest('refused: no PKCE', async () => {
      const config = await ctx.config('rp-fapi');
      assert.equal(await refusal(oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: ctx.client('rp-fapi').redirectUri, scope: kScope, response_type: 'code',
      })), 'invalid_request');
    });

    journeyTest('refused: client_secret authentication, and an RS256 client assertion', async () => {
      const client = ctx.client('rp-fapi');
      const params = {
        redirect_uri: client.redirectUri, scope: kScope, response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      };
      const withSecret = await oidc.discovery(new URL(front.url), client.id,
        { id_token_signed_response_alg: 'ES256', redirect_uris: [client.redirectUri], client_secret: 'a-guessed-secret-0123456789abcdef' },
        oidc.ClientSecretBasic('a-guessed-secret-0123456789abcdef'), { [oidc.customFetch]: ctx.fetch });
      assert.equal(await refusal(oidc.buildAuthorizationUrlWithPAR(withSecret, params)), 'invalid_client');
      const rs256 = await oidc.discovery(new URL(front.url), client.id,
        { id_token_signed_response_alg: 'ES256', redirect_uris: [client.redirectUri] },
        oidc.PrivateKeyJwt(client.rsaKey), { [oidc.customFetch]: ctx.fetch });
      assert.equal(await refusal(oidc.buildAuthorizationUrlWithPAR(rs256, params)), 'invalid_client');
      // Nor can a FAPI 2.0 client register itself with a secret (RFC 7591
      // with profile fapi2); with private_key_jwt it can, and keeps the profile.
      const register = async (metadata) => oidc.dynamicClientRegistration(new URL(front.url), {
        redirect_uris: [rp.url('/cb/dyn-fapi')], response_types: ['code'], grant_types: ['authorization_code'],
        scope: kScope, profile: 'fapi2', id_token_signed_response_alg: 'ES256', ...metadata,
      }, undefined, {
        initialAccessToken: await certmeAdmin(['create-initial-token', '--name', 'fapi2', '--uses', '1', '--ttl', '1h']),
        [oidc.customFetch]: ctx.fetch,
      });
      const secret = await register({ token_endpoint_auth_method: 'client_secret_basic' }).catch((err) => err);
      assert.equal(secret.error, 'invalid_client_metadata');
      assert.match(secret.error_description ?? '',
        /fapi2: token_endpoint_auth_method must be private_key_jwt or tls_client_auth/);
      const { publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
      const registered = await register({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(({ kty, crv, x, y }) => ({ kty, crv, x, y }))(await crypto.subtle.exportKey('jwk', publicKey)),
          kid: 'dyn-fapi', use: 'sig' }] },
      });
      assert.equal(registered.clientMetadata().profile, 'fapi2');
    });

    journeyTest('refused: an unbound token request (no DPoP proof), which spends nothing', async () => {
      const auth = await authorize(ctx, 'rp-fapi', { par: true, params: { scope: kScope } });
      assert.equal(await refusal(grant(auth)), 'invalid_request');
      const dpop = oidc.getDPoPHandle(auth.config, await oidc.randomDPoPKeyPair('ES256'));
      assert.equal((await grant(auth, dpop)).token_type.toLowerCase(), 'dpop');
    });
  });

  journeyTest('every login was the wallet\'s; each client\'s first one went through the validator', async () => {
    // rp-par, rp-jar, rp-dpop, rp-mtls, the registered client, rp-fapi twice.
    assert.equal(login.answered, 7);
    // One validation per provider account (five file clients, one
    // registered); rp-fapi's second login needed none. The log line may
    // reach the file a moment after the answer.
    const want = kLoginClients.length + 1;
    await waitFor(`${want} validator answers`, () => validatorAnswers() >= want, 5000).catch(() => {});
    assert.equal(validatorAnswers(), want);
  });
});
