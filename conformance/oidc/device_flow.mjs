// The device authorization grant (RFC 8628) with openid-client 6 against a
// running bridge whose login is the certME wallet, answered by the
// reference wallet (`certme wallet approve`). Started by device_e2e.sh,
// which prepares the ledger, the users and the bridge.
//
//   node device_flow.mjs --base URL --certme BIN --client ID --secret S
//
// Cases: approve (the ID token carries the validated claims, the code is
// redeemed once), refuse (access_denied), expire (expired_token after the
// configured lifetime), slow_down (openid-client told to slow down keeps
// polling and succeeds). The cases run at once (each has its own device
// code). Prints "N passed, M failed"; exits 1 on any failure.
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import * as client from 'openid-client';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' }, certme: { type: 'string' }, client: { type: 'string' }, secret: { type: 'string' },
  },
});
if (!args.base || !args.certme || !args.client || !args.secret) {
  console.error('usage: node device_flow.mjs --base URL --certme BIN --client ID --secret SECRET');
  process.exit(2);
}
const grant = 'urn:ietf:params:oauth:grant-type:device_code';

// The client is registered for client_secret_basic (openid-client's own
// default with a secret is client_secret_post).
const config = await client.discovery(new URL(args.base), args.client, args.secret,
  client.ClientSecretBasic(args.secret), { execute: [client.allowInsecureRequests] });

// The wallet login page the QR code leads to; its same-device link is what
// the wallet takes (as a phone would from the page's QR code).
async function walletLink(device) {
  const res = await fetch(device.verification_uri_complete);
  const html = await res.text();
  if (res.status !== 200) throw new Error(`verification page: ${res.status}: ${html.slice(0, 300)}`);
  if (!html.includes('Test service')) throw new Error(`the page does not name the service: ${html.slice(0, 300)}`);
  const m = html.match(/href="([^"]*\/wallet\/v1\/l\/[A-Za-z0-9_-]+)"/);
  if (!m) throw new Error(`no wallet link on the page: ${html.slice(0, 300)}`);
  return { link: m[1], page: res.url };
}

function wallet(...argv) {
  return new Promise((resolve) => {
    execFile(args.certme, ['wallet', 'approve', ...argv], { timeout: 60000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, out: `${stdout}${stderr}` }));
  });
}

async function rawPoll(device) {
  const res = await fetch(config.serverMetadata().token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(args.client)}:${encodeURIComponent(args.secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: grant, device_code: device.device_code }),
  });
  return { status: res.status, body: await res.json() };
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// The poll's error as openid-client reports it. openid-client stops by
// itself at expires_in; it is given longer, so the bridge's own answer
// after the lifetime (expired_token) is what ends it.
async function pollError(device) {
  try {
    await client.pollDeviceAuthorizationGrant(config, device, undefined,
      { signal: AbortSignal.timeout((device.expires_in + 30) * 1000) });
  } catch (e) {
    return e.error ?? e.code ?? String(e);
  }
  return 'no error';
}

const cases = {
  async 'discovery names the device authorization endpoint'() {
    const meta = config.serverMetadata();
    assert(meta.device_authorization_endpoint === `${args.base}/device_authorization`,
      `device_authorization_endpoint: ${meta.device_authorization_endpoint}`);
    assert(meta.grant_types_supported.includes(grant), 'grant type not advertised');
  },

  async 'approve: the wallet approves, the poll gets the validated claims once'() {
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile', ui_locales: 'en' });
    assert(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/.test(device.user_code), `user_code ${device.user_code}`);
    const pending = await rawPoll(device);
    assert(pending.status === 400 && pending.body.error === 'authorization_pending', JSON.stringify(pending));
    const polled = client.pollDeviceAuthorizationGrant(config, device);
    const { link } = await walletLink(device);
    const answer = await wallet(link, '--yes');
    assert(answer.code === 0, `certme wallet approve failed: ${answer.out}`);
    const tokens = await polled;
    const claims = tokens.claims();
    assert(claims.aud === args.client, `aud ${claims.aud}`);
    assert(claims.given_name === 'Ion' && claims.family_name === 'Popescu',
      `claims: ${JSON.stringify(claims)}`);
    assert(typeof tokens.access_token === 'string', 'no access token');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert(info.sub === claims.sub, 'userinfo sub');
    const again = await rawPoll(device);
    assert(again.status === 400 && again.body.error === 'invalid_grant', `second redemption: ${JSON.stringify(again)}`);
  },

  async 'refuse: the wallet refuses, the poll ends with access_denied'() {
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile', ui_locales: 'en' });
    const polled = pollError(device);
    const { link } = await walletLink(device);
    const answer = await wallet('--refuse', link);
    assert(answer.code === 0, `certme wallet approve --refuse failed: ${answer.out}`);
    const error = await polled;
    assert(error === 'access_denied', `poll ended with ${error}`);
  },

  async 'slow_down: polling faster than the interval, openid-client slows down and succeeds'() {
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile', ui_locales: 'en' });
    assert((await rawPoll(device)).body.error === 'authorization_pending', 'first poll');
    const fast = await rawPoll(device);
    assert(fast.status === 400 && fast.body.error === 'slow_down', `second poll at once: ${JSON.stringify(fast)}`);
    // openid-client told to poll every second hears slow_down and waits longer.
    const polled = client.pollDeviceAuthorizationGrant(config, { ...device, interval: 1 });
    const { link } = await walletLink(device);
    const answer = await wallet(link, '--yes');
    assert(answer.code === 0, `certme wallet approve failed: ${answer.out}`);
    const tokens = await polled;
    assert(tokens.claims().aud === args.client, 'no ID token');
  },

  async 'expire: nobody answers, the poll ends with expired_token'() {
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const started = Date.now();
    const error = await pollError(device);
    assert(error === 'expired_token', `poll ended with ${error}`);
    const waited = (Date.now() - started) / 1000;
    assert(waited >= device.expires_in - 1, `expired after ${waited} s of ${device.expires_in}`);
    const res = await fetch(device.verification_uri_complete);
    const html = await res.text();
    assert(res.status === 400 && html.includes('data-outcome="unknown_code"'), `verification page: ${res.status}`);
  },
};

// Each case has its own device_code, so they run at once: the expire case
// waits out the whole lifetime, and the others finish inside that wait
// instead of after it. Results are printed in the order above.
const outcomes = await Promise.all(Object.entries(cases).map(async ([name, fn]) => {
  const started = Date.now();
  try {
    await fn();
    return { name, error: null, seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    return { name, error: e, seconds: (Date.now() - started) / 1000 };
  }
}));
let passed = 0, failed = 0;
for (const { name, error, seconds } of outcomes) {
  if (!error) {
    passed++;
    console.log(`ok   ${name} (${seconds.toFixed(1)} s)`);
  } else {
    failed++;
    console.log(`FAIL ${name} (${seconds.toFixed(1)} s)\n     ${String(error.stack ?? error).split('\n').join('\n     ')}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
