// oidcc-rp-initiated-logout-certification-test-plan,
// oidcc-backchannel-rp-initiated-logout-certification-test-plan and
// oidcc-frontchannel-rp-initiated-logout-certification-test-plan.
// RP-Initiated Logout 1.0 §2-§3, Back-Channel Logout 1.0 §2.4-§2.6,
// Front-Channel Logout 1.0 §2-§4.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { Browser } from './lib/browser.mjs';
import { forms, iframeSources, onwardUrls } from './lib/html.mjs';
import { authorize, codeFlow, expectErrorRedirect, remoteJwks, snippet } from './lib/flows.mjs';

const kBackchannelEvent = 'http://schemas.openid.net/event/backchannel-logout';

// If the bridge asks the user to confirm logout (RP-Initiated Logout §2:
// it SHOULD ask, and MUST when it cannot trust the request), press the
// confirming button of the form, as the OIDF tester does by hand.
async function confirmIfAsked(browser, outcome, rpOrigin) {
  if (outcome.kind !== 'page' || outcome.status !== 200) return outcome;
  const form = forms(outcome.body).find((f) => f.method === 'post');
  if (!form) return outcome;
  const fields = { ...form.hidden };
  const submits = [...form.buttons, ...form.inputs.filter((i) => (i.type ?? '').toLowerCase() === 'submit')]
    .filter((b) => b.name);
  const yes = submits.find((b) => /logout|yes|confirm|da|ok/i.test(`${b.name} ${b.value ?? ''}`)) ?? submits[0];
  if (yes) fields[yes.name] = yes.value ?? '';
  const next = await browser.drive(new URL(form.action || outcome.url.pathname, outcome.url),
    { rpOrigin, method: 'POST', form: fields });
  return { ...next, confirmed: true };
}

async function expectLoggedOut(ctx, browser, clientId) {
  const auth = await authorize(ctx, clientId, { browser, params: { prompt: 'none' } });
  expectErrorRedirect(auth, 'login_required');
}

async function expectStillLoggedIn(ctx, browser, clientId) {
  const flow = await codeFlow(ctx, clientId, { browser, params: { prompt: 'none' } });
  assert.ok(!flow.outcome.sawLogin);
}

function isRedirectTo(outcome, uri) {
  return outcome.kind === 'redirect' && `${outcome.url.origin}${outcome.url.pathname}` === uri;
}

function describeOutcome(outcome) {
  if (outcome.kind === 'redirect') return `redirect to ${outcome.url.href}`;
  if (outcome.kind === 'form_post') return `form post to ${outcome.action.href}`;
  return `${outcome.status} page at ${outcome.url.href}: ${snippet(outcome.body, 200)}`;
}

function withAlgNone(idToken) {
  const [, payload] = idToken.split('.');
  return `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
}

function withBrokenSignature(idToken) {
  const [header, payload, signature] = idToken.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length >> 1] ^= 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

export function register(ctx) {
  const login = async (clientId) => {
    const browser = new Browser(`logout-${clientId}`);
    const flow = await codeFlow(ctx, clientId, { browser });
    return { browser, flow };
  };
  const endSessionEndpoint = async () => (await ctx.config('rp-basic')).serverMetadata().end_session_endpoint;
  const rawEndSession = async (params) => {
    const url = new URL(await endSessionEndpoint());
    url.search = new URLSearchParams(params).toString();
    return url;
  };

  describe('oidcc-rp-initiated-logout-certification-test-plan', () => {
    test('oidcc-rp-initiated-logout: redirect to post_logout_redirect_uri with state, session ended', async () => {
      const { browser, flow } = await login('rp-basic');
      const client = ctx.client('rp-basic');
      const state = oidc.randomState() + oidc.randomState(); // long state, as the OIDF module uses
      const url = oidc.buildEndSessionUrl(flow.config, {
        id_token_hint: flow.tokens.id_token, post_logout_redirect_uri: client.postLogoutRedirectUri, state,
      });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.ok(isRedirectTo(outcome, client.postLogoutRedirectUri), `expected the post-logout redirect, got ${describeOutcome(outcome)}`);
      assert.equal(outcome.url.searchParams.get('state'), state, 'state not echoed unchanged');
      await expectLoggedOut(ctx, browser, 'rp-basic');
    });

    test('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: error page, no redirect', async () => {
      const { browser, flow } = await login('rp-basic');
      const url = oidc.buildEndSessionUrl(flow.config, {
        id_token_hint: flow.tokens.id_token, post_logout_redirect_uri: ctx.rp.url('/not-registered-logout'), state: 'x',
      });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.equal(outcome.kind, 'page', `bridge redirected: ${describeOutcome(outcome)}`);
    });

    for (const [name, tamper] of [
      ['oidcc-rp-initiated-logout-modified-id-token-hint (alg none)', withAlgNone],
      ['tampered id_token_hint (signature altered)', withBrokenSignature],
    ]) {
      test(`${name}: confirmation page, no redirect, session kept until confirmed`, async () => {
        const { browser, flow } = await login('rp-basic');
        const client = ctx.client('rp-basic');
        const url = await rawEndSession({
          id_token_hint: tamper(flow.tokens.id_token), post_logout_redirect_uri: client.postLogoutRedirectUri, state: 'tampered',
        });
        const first = await browser.drive(url, { rpOrigin: ctx.rp.origin });
        assert.equal(first.kind, 'page', `bridge redirected on a tampered hint: ${describeOutcome(first)}`);
        assert.ok(first.status === 200 || (first.status >= 400 && first.status < 500), `status ${first.status}`);
        // Merely loading the page must not end the session (§2: ask first).
        await expectStillLoggedIn(ctx, browser, 'rp-basic');
        const after = await confirmIfAsked(browser, first, ctx.rp.origin);
        assert.ok(!isRedirectTo(after, client.postLogoutRedirectUri), `post-logout redirect after a tampered hint: ${describeOutcome(after)}`);
      });
    }

    test('oidcc-rp-initiated-logout-no-id-token-hint: no redirect without a hint', async () => {
      const { browser } = await login('rp-basic');
      const client = ctx.client('rp-basic');
      const url = await rawEndSession({ post_logout_redirect_uri: client.postLogoutRedirectUri, state: 'no-hint' });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.ok(!isRedirectTo(outcome, client.postLogoutRedirectUri), `redirected without id_token_hint: ${describeOutcome(outcome)}`);
    });

    test('oidcc-rp-initiated-logout-no-params: logged-out page, session ended', async () => {
      const { browser } = await login('rp-basic');
      const first = await browser.drive(await endSessionEndpoint(), { rpOrigin: ctx.rp.origin });
      assert.equal(first.kind, 'page', describeOutcome(first));
      const outcome = await confirmIfAsked(browser, first, ctx.rp.origin);
      assert.equal(outcome.kind, 'page', `redirected to an RP: ${describeOutcome(outcome)}`);
      assert.equal(outcome.status, 200, describeOutcome(outcome));
      await expectLoggedOut(ctx, browser, 'rp-basic');
    });

    test('oidcc-rp-initiated-logout-no-post-logout-redirect-uri: logged-out page, session ended', async () => {
      const { browser, flow } = await login('rp-basic');
      const url = await rawEndSession({ id_token_hint: flow.tokens.id_token });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.equal(outcome.kind, 'page', `redirected: ${describeOutcome(outcome)}`);
      assert.equal(outcome.status, 200, describeOutcome(outcome));
      await expectLoggedOut(ctx, browser, 'rp-basic');
    });

    test('oidcc-rp-initiated-logout-no-state: redirect carries no state', async () => {
      const { browser, flow } = await login('rp-basic');
      const client = ctx.client('rp-basic');
      const url = await rawEndSession({ id_token_hint: flow.tokens.id_token, post_logout_redirect_uri: client.postLogoutRedirectUri });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.ok(isRedirectTo(outcome, client.postLogoutRedirectUri), describeOutcome(outcome));
      assert.equal(outcome.url.searchParams.get('state'), null, 'state invented by the bridge');
      await expectLoggedOut(ctx, browser, 'rp-basic');
    });

    test('oidcc-rp-initiated-logout-only-state: logged-out page, session ended', async () => {
      const { browser } = await login('rp-basic');
      const url = await rawEndSession({ state: 'only-state' });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.equal(outcome.kind, 'page', `redirected: ${describeOutcome(outcome)}`);
      await expectLoggedOut(ctx, browser, 'rp-basic');
    });
  });

  describe('oidcc-backchannel-rp-initiated-logout-certification-test-plan', () => {
    async function verifyLogoutToken(record, idClaims, clientId) {
      assert.match(record.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
      const token = record.form?.logout_token;
      assert.ok(token, `no logout_token in the back-channel POST body: ${snippet(record.body)}`);
      assert.deepEqual(Object.keys(record.form), ['logout_token'], 'unexpected parameters in the back-channel request');
      const config = await ctx.config(clientId);
      // §2.6: validated like an ID token; typ logout+jwt (§2.4, RFC 8725 §3.11).
      const { payload, protectedHeader } = await jose.jwtVerify(token, remoteJwks(config), {
        issuer: ctx.main.url, audience: clientId, typ: 'logout+jwt',
        algorithms: [ctx.client(clientId).idTokenAlg],
      });
      assert.ok(protectedHeader.kid, 'logout token without kid');
      assert.ok(Number.isInteger(payload.iat), 'iat missing');
      assert.ok(Number.isInteger(payload.exp) && payload.exp > payload.iat, 'exp missing or not after iat');
      assert.equal(typeof payload.jti, 'string', 'jti missing');
      assert.deepEqual(payload.events, { [kBackchannelEvent]: {} });
      assert.ok(!('nonce' in payload), 'logout token carries a nonce (§2.4 forbids it)');
      assert.equal(payload.sid, idClaims.sid, 'sid differs from the ID token\'s');
      if (payload.sub !== undefined) assert.equal(payload.sub, idClaims.sub);
      return payload;
    }

    test('oidcc-backchannel-rp-initiated-logout: signed logout token, redirect with state, session ended', async () => {
      const { browser, flow } = await login('rp-bcl');
      const client = ctx.client('rp-bcl');
      const state = oidc.randomState();
      const url = oidc.buildEndSessionUrl(flow.config, {
        id_token_hint: flow.tokens.id_token, post_logout_redirect_uri: client.postLogoutRedirectUri, state,
      });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.ok(isRedirectTo(outcome, client.postLogoutRedirectUri), describeOutcome(outcome));
      assert.equal(outcome.url.searchParams.get('state'), state);
      const record = await ctx.rp.waitFor((r) => r.method === 'POST' && r.path === '/backchannel/rp-bcl', 5000);
      assert.ok(record, 'no back-channel logout request within 5 s');
      await verifyLogoutToken(record, flow.claims, 'rp-bcl');
      await expectLoggedOut(ctx, browser, 'rp-bcl');
    });

    test('back-channel logout reaches another RP of the same session', async () => {
      const { browser, flow: basic } = await login('rp-basic');
      const bcl = await codeFlow(ctx, 'rp-bcl', { browser });
      assert.ok(!bcl.outcome.sawLogin, 'SSO session not reused');
      const seen = ctx.rp.requests.length;
      const url = oidc.buildEndSessionUrl(basic.config, {
        id_token_hint: basic.tokens.id_token, post_logout_redirect_uri: ctx.client('rp-basic').postLogoutRedirectUri, state: 'sso',
      });
      const outcome = await confirmIfAsked(browser, await browser.drive(url, { rpOrigin: ctx.rp.origin }), ctx.rp.origin);
      assert.ok(isRedirectTo(outcome, ctx.client('rp-basic').postLogoutRedirectUri), describeOutcome(outcome));
      const record = await ctx.rp.waitFor(
        (r) => ctx.rp.requests.indexOf(r) >= seen && r.method === 'POST' && r.path === '/backchannel/rp-bcl', 5000);
      assert.ok(record, 'rp-bcl got no back-channel logout when rp-basic logged out');
      await verifyLogoutToken(record, bcl.claims, 'rp-bcl');
    });
  });

  describe('oidcc-frontchannel-rp-initiated-logout-certification-test-plan', () => {
    test('oidcc-frontchannel-rp-initiated-logout: iframe with iss and sid, then redirect with state', async () => {
      const { browser, flow } = await login('rp-fcl');
      const client = ctx.client('rp-fcl');
      const state = oidc.randomState();
      const url = oidc.buildEndSessionUrl(flow.config, {
        id_token_hint: flow.tokens.id_token, post_logout_redirect_uri: client.postLogoutRedirectUri, state,
      });
      let page = await browser.drive(url, { rpOrigin: ctx.rp.origin });
      if (page.kind === 'page' && iframeSources(page.body).length === 0) page = await confirmIfAsked(browser, page, ctx.rp.origin);
      assert.equal(page.kind, 'page', `no front-channel logout page: ${describeOutcome(page)}`);
      assert.equal(page.status, 200);
      const registered = ctx.client('rp-fcl').yaml.frontchannel_logout_uri;
      const frame = iframeSources(page.body).map((s) => new URL(s, page.url))
        .find((u) => `${u.origin}${u.pathname}` === registered);
      assert.ok(frame, `no iframe for ${registered} on the logout page: ${snippet(page.body)}`);
      // Front-Channel Logout §2-§3: iss and sid as query parameters.
      assert.equal(frame.searchParams.get('iss'), ctx.main.url);
      assert.equal(frame.searchParams.get('sid'), flow.claims.sid);
      // Load the frame as the browser would, then continue to the RP.
      const frameRes = await browser.request(frame);
      assert.equal(frameRes.status, 200);
      const onward = onwardUrls(page.body).map((u) => new URL(u, page.url))
        .find((u) => `${u.origin}${u.pathname}` === client.postLogoutRedirectUri);
      assert.ok(onward, `logout page does not continue to the post_logout_redirect_uri: ${snippet(page.body)}`);
      assert.equal(onward.searchParams.get('state'), state);
      await expectLoggedOut(ctx, browser, 'rp-fcl');
    });
  });
}
