// Client-Initiated Backchannel Authentication (CIBA Core 1.0), poll and
// ping, with openid-client 6 (initiateBackchannelAuthentication,
// pollBackchannelAuthenticationGrant) against a running bridge whose login
// is the certME wallet; the logins are answered from the wallet inbox by
// the reference wallet (`certme wallet inbox`) and by the npm-only wallet
// (conformance/wallet/inbox.mjs). Started by ciba_e2e.sh.
//
//   node ciba_flow.mjs --base URL --certme BIN --secret S --npm-key 0x… --npm-enrollment FILE
//
// Each client first learns its user's sub through an ordinary login (the
// device grant, answered by `certme wallet approve`): that login is what
// lets the bridge map the sub to the eID. Cases: poll approved by each
// wallet (login_hint, id_token_hint, binding message shown), refused
// (access_denied), ping (the notification with the client's bearer, then
// the tokens), an unknown hint answered exactly like a known one and
// expiring (expired_token), slow_down. Prints "N passed, M failed".
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as client from 'openid-client';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' }, certme: { type: 'string' }, secret: { type: 'string' },
    'npm-key': { type: 'string' }, 'npm-enrollment': { type: 'string' }, 'ping-port': { type: 'string' },
  },
});
if (!args.base || !args.certme || !args.secret || !args['npm-key'] || !args['npm-enrollment'] || !args['ping-port']) {
  console.error('usage: node ciba_flow.mjs --base URL --certme BIN --secret S --npm-key 0x… --npm-enrollment FILE --ping-port N');
  process.exit(2);
}
const cibaGrant = 'urn:openid:params:grant-type:ciba';

function configFor(id) {
  return client.discovery(new URL(args.base), id, args.secret, client.ClientSecretBasic(args.secret),
    { execute: [client.allowInsecureRequests] });
}
const poll = await configFor('ciba-poll');
const ping = await configFor('ciba-ping');

function run(file, argv, timeout = 60000) {
  return new Promise((resolve) => {
    execFile(file, argv, { timeout }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, out: `${stdout}${stderr}` }));
  });
}
const cliWallet = (...argv) => run(args.certme, ['wallet', ...argv]);
const npmWallet = (...argv) => run(process.execPath, [
  path.join(import.meta.dirname, '..', 'wallet', 'inbox.mjs'), '--bridge', args.base,
  '--key', args['npm-key'], '--enrollment', args['npm-enrollment'], ...argv]);

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// An ordinary login through the device grant, answered by `wallet`
// (approve with a QR link): the client's ID token, whose sub is the hint.
async function firstLogin(config, answer) {
  const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile', ui_locales: 'en' });
  const polled = client.pollDeviceAuthorizationGrant(config, { ...device, interval: 1 });
  const page = await (await fetch(device.verification_uri_complete)).text();
  const m = page.match(/href="([^"]*\/wallet\/v1\/l\/[A-Za-z0-9_-]+)"/);
  assert(m, `no wallet link on the page: ${page.slice(0, 300)}`);
  const done = await answer(m[1]);
  assert(done.code === 0, `first login not approved: ${done.out}`);
  return (await polled);
}
const npmApproveLink = (link) => run(process.execPath, [path.join(import.meta.dirname, '..', 'wallet', 'login.mjs'),
  '--link', link, '--key', args['npm-key'], '--enrollment', args['npm-enrollment']]);

async function rawBackchannel(id, params) {
  const res = await fetch(`${args.base}/bc-authorize`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${id}:${encodeURIComponent(args.secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams(params),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
async function rawPoll(id, authReqId) {
  const res = await fetch(`${args.base}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${id}:${encodeURIComponent(args.secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: cibaGrant, auth_req_id: authReqId }),
  });
  return { status: res.status, body: await res.json() };
}
async function pollError(config, started) {
  try {
    await client.pollBackchannelAuthenticationGrant(config, started, undefined,
      { signal: AbortSignal.timeout((started.expires_in + 30) * 1000) });
  } catch (e) {
    return e.error ?? e.code ?? String(e);
  }
  return 'no error';
}

// The ping client's notification endpoint.
const pings = [];
let pingWaiter = null;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    pings.push({ auth: req.headers.authorization, type: req.headers['content-type'], body });
    res.writeHead(204).end();
    if (pingWaiter) pingWaiter();
  });
});
await new Promise((resolve) => server.listen(Number(args['ping-port']), '127.0.0.1', resolve));

const cliTokens = await firstLogin(poll, (link) => cliWallet('approve', link, '--yes'));
const cliSub = cliTokens.claims().sub;
const npmSub = (await firstLogin(poll, npmApproveLink)).claims().sub;
const pingSub = (await firstLogin(ping, (link) => cliWallet('approve', link, '--yes'))).claims().sub;

const cases = {
  async 'discovery names the backchannel endpoint, poll and ping'() {
    const meta = poll.serverMetadata();
    assert(meta.backchannel_authentication_endpoint === `${args.base}/bc-authorize`,
      `backchannel_authentication_endpoint: ${meta.backchannel_authentication_endpoint}`);
    assert(JSON.stringify(meta.backchannel_token_delivery_modes_supported) === '["poll","ping"]', 'modes');
    assert(meta.backchannel_user_code_parameter_supported === false, 'user_code');
    assert(meta.grant_types_supported.includes(cibaGrant), 'grant type not advertised');
  },

  async 'poll, login_hint: the reference wallet approves from its inbox'() {
    const started = await client.initiateBackchannelAuthentication(poll,
      { scope: 'openid profile', login_hint: cliSub, binding_message: 'Plata 42 MDL' });
    assert(started.interval === 5 && started.expires_in === 300, JSON.stringify(started));
    const polled = client.pollBackchannelAuthenticationGrant(poll, { ...started, interval: 1 });
    const answer = await cliWallet('inbox', args.base, '--wait', '20', '--yes', '--lang', 'en');
    assert(answer.code === 0, `certme wallet inbox failed: ${answer.out}`);
    assert(answer.out.includes('binding message: Plata 42 MDL'), `binding message not shown: ${answer.out}`);
    const tokens = await polled;
    const claims = tokens.claims();
    assert(claims.sub === cliSub && claims.given_name === 'Ion', `claims: ${JSON.stringify(claims)}`);
    const again = await rawPoll('ciba-poll', started.auth_req_id);
    assert(again.body.error === 'invalid_grant', `second redemption: ${JSON.stringify(again)}`);
  },

  async 'poll, id_token_hint: the npm-only wallet approves from its inbox'() {
    const { id_token: hint } = await firstLogin(poll, npmApproveLink);
    const started = await client.initiateBackchannelAuthentication(poll,
      { scope: 'openid profile', id_token_hint: hint, binding_message: 'Cod 7F3A' });
    const polled = client.pollBackchannelAuthenticationGrant(poll, { ...started, interval: 1 });
    // The reference wallet's inbox does not hold the npm user's request.
    const other = await cliWallet('inbox', args.base, '--yes');
    assert(other.code !== 0 && other.out.includes('no pending requests'), `other eID's inbox: ${other.out}`);
    const answer = await npmWallet('--wait', '20');
    assert(answer.code === 0, `npm wallet inbox failed: ${answer.out}`);
    assert(answer.out.includes('binding message: Cod 7F3A'), `binding message not shown: ${answer.out}`);
    const tokens = await polled;
    assert(tokens.claims().sub === npmSub, `sub ${tokens.claims().sub}`);
  },

  async 'poll, refused in the wallet: access_denied'() {
    const started = await client.initiateBackchannelAuthentication(poll, { scope: 'openid', login_hint: cliSub });
    const error = pollError(poll, { ...started, interval: 1 });
    const answer = await cliWallet('inbox', args.base, '--wait', '20', '--refuse');
    assert(answer.code === 0, `certme wallet inbox --refuse failed: ${answer.out}`);
    assert(await error === 'access_denied', 'poll did not end with access_denied');
  },

  async 'poll faster than interval: slow_down, and the interval grows'() {
    const started = await client.initiateBackchannelAuthentication(poll, { scope: 'openid', login_hint: cliSub });
    const first = await rawPoll('ciba-poll', started.auth_req_id);
    assert(first.body.error === 'authorization_pending', JSON.stringify(first));
    const fast = await rawPoll('ciba-poll', started.auth_req_id);
    assert(fast.status === 400 && fast.body.error === 'slow_down', JSON.stringify(fast));
    assert(/wait 10 seconds/.test(fast.body.error_description), fast.body.error_description);
    // Answered, so nothing stays in the inbox for the next cases.
    assert((await cliWallet('inbox', args.base, '--refuse')).code === 0, 'refusal');
  },

  async 'unknown hint: the same answer as a known one, then expired_token'() {
    const known = await rawBackchannel('ciba-poll', { scope: 'openid', login_hint: cliSub, requested_expiry: '3' });
    const unknown = await rawBackchannel('ciba-poll', { scope: 'openid', login_hint: 'no-such-user', requested_expiry: '3' });
    assert(known.status === 200 && unknown.status === known.status, `${known.status} ${unknown.status}`);
    assert(JSON.stringify(Object.keys(unknown.body).sort()) === JSON.stringify(Object.keys(known.body).sort()), 'shape');
    assert(unknown.body.expires_in === known.body.expires_in && unknown.body.interval === known.body.interval, 'values');
    assert(unknown.body.auth_req_id.length === known.body.auth_req_id.length, 'id length');
    for (const r of [known, unknown]) {
      const p = await rawPoll('ciba-poll', r.body.auth_req_id);
      assert(p.body.error === 'authorization_pending', JSON.stringify(p));
    }
    await new Promise((r) => setTimeout(r, 4000));
    for (const r of [known, unknown]) {
      const p = await rawPoll('ciba-poll', r.body.auth_req_id);
      assert(p.body.error === 'expired_token', JSON.stringify(p));
    }
    const bogus = await rawPoll('ciba-poll', 'no-such-auth-req-id');
    assert(bogus.body.error === 'invalid_grant', JSON.stringify(bogus));
  },

  async 'ping: the bridge notifies with the client bearer, then the client redeems'() {
    const bearer = `ping-${Date.now()}`;
    const started = await client.initiateBackchannelAuthentication(ping,
      { scope: 'openid profile', login_hint: pingSub, client_notification_token: bearer });
    assert(started.interval === undefined, 'no interval in ping mode');
    const notified = new Promise((resolve) => { pingWaiter = resolve; });
    const answer = await cliWallet('inbox', args.base, '--wait', '20', '--yes');
    assert(answer.code === 0, `certme wallet inbox failed: ${answer.out}`);
    await Promise.race([notified, new Promise((_, reject) => setTimeout(() => reject(new Error('no ping')), 20000))]);
    const p = pings.at(-1);
    assert(p.auth === `Bearer ${bearer}`, `authorization: ${p.auth}`);
    assert(p.type.startsWith('application/json'), `content-type: ${p.type}`);
    assert(JSON.parse(p.body).auth_req_id === started.auth_req_id, `body: ${p.body}`);
    const tokens = await client.pollBackchannelAuthenticationGrant(ping, { ...started, interval: 1 });
    assert(tokens.claims().sub === pingSub, 'sub');
  },
};

let passed = 0, failed = 0;
for (const [name, fn] of Object.entries(cases)) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(e.stack ?? e).split('\n').join('\n     ')}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
server.close();
process.exit(failed ? 1 : 0);
