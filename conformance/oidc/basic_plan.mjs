// oidcc-basic-certification-test-plan (code flow, client_secret_basic,
// default response mode), one case per OIDF module; names are the modules'.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { Browser } from './lib/browser.mjs';
import { kAcrSubstantial, kIdentities } from './lib/fixtures.mjs';
import {
  assertTokenError, authorize, codeExchangeForm, codeFlow, expectErrorRedirect, rawTokenRequest,
  rawUserInfo, remoteJwks, responseParams, sleep, snippet,
} from './lib/flows.mjs';

const ion = kIdentities.ion;

async function userInfo(flow) {
  return oidc.fetchUserInfo(flow.config, flow.tokens.access_token, flow.claims.sub);
}

export function register(ctx) {
  describe('oidcc-basic-certification-test-plan', () => {
    test('oidcc-server: code flow with PKCE S256, ID token validated by openid-client', async () => {
      const flow = await codeFlow(ctx, 'rp-basic');
      assert.ok(flow.outcome.sawLogin, 'the dev login page was not shown');
      const c = flow.claims;
      const now = Math.floor(Date.now() / 1000);
      assert.equal(c.iss, ctx.main.url);
      assert.ok([].concat(c.aud).includes('rp-basic'));
      assert.equal(typeof c.sub, 'string');
      assert.ok(c.sub.length > 0 && c.sub.length <= 255, 'Core §2: sub at most 255 ASCII characters');
      assert.equal(c.nonce, flow.nonce);
      assert.ok(c.exp > now && c.iat <= now + 5, `exp ${c.exp} / iat ${c.iat} around now ${now}`);
      assert.equal(c.acr, kAcrSubstantial);
      assert.ok(Array.isArray(c.amr) && c.amr.includes('hwk') && c.amr.includes('user'), `amr ${JSON.stringify(c.amr)}`);
      assert.ok(Number.isInteger(c.auth_time) && c.auth_time <= now + 5, `auth_time ${c.auth_time}`);
      assert.equal(typeof c.sid, 'string', 'no sid claim (needed for logout, Front-Channel §3 / Back-Channel §2.1)');
      assert.equal(flow.tokens.token_type.toLowerCase(), 'bearer');
      assert.ok(flow.tokens.expires_in > 0, 'expires_in missing');
      // RFC 9207: when the bridge sends iss in the authorization response,
      // openid-client has already checked it; make sure it is the issuer.
      const iss = responseParams(flow).get('iss');
      if (iss !== null) assert.equal(iss, ctx.main.url);
    });

    test('oidcc-response-type-missing: error, never a code', async () => {
      const config = await ctx.config('rp-basic');
      const client = ctx.client('rp-basic');
      const url = new URL(config.serverMetadata().authorization_endpoint);
      const state = oidc.randomState();
      url.search = new URLSearchParams({
        client_id: client.id, redirect_uri: client.redirectUri, scope: 'openid', state, nonce: oidc.randomNonce(),
      }).toString();
      const browser = new Browser();
      const outcome = await browser.drive(url, { rpOrigin: ctx.rp.origin });
      assert.ok(!outcome.sawLogin, 'asked the user to log in for an invalid request');
      if (outcome.kind === 'page') {
        assert.ok(outcome.status >= 400 && outcome.status < 500, `error page status ${outcome.status}`);
      } else {
        const p = responseParams({ outcome });
        assert.equal(p.get('code'), null, 'a code was issued without response_type');
        assert.ok(['invalid_request', 'unsupported_response_type'].includes(p.get('error')), `error=${p.get('error')}`);
        assert.equal(p.get('state'), state);
      }
    });

    test('oidcc-idtoken-signature: RS256 signature verifies against jwks_uri, kid matches', async () => {
      const flow = await codeFlow(ctx, 'rp-basic');
      const header = jose.decodeProtectedHeader(flow.tokens.id_token);
      assert.equal(header.alg, 'RS256');
      assert.ok(header.kid, 'ID token header has no kid');
      const { payload, protectedHeader } = await jose.jwtVerify(flow.tokens.id_token, remoteJwks(flow.config), {
        issuer: ctx.main.url, audience: 'rp-basic', algorithms: ['RS256'],
      });
      assert.equal(protectedHeader.kid, header.kid);
      assert.equal(payload.sub, flow.claims.sub);
    });

    describe('userinfo', () => {
      let flow;
      test('oidcc-userinfo-get', async () => {
        flow = await codeFlow(ctx, 'rp-basic', { params: { scope: 'openid profile' } });
        const info = await userInfo(flow);
        assert.equal(info.sub, flow.claims.sub);
        assert.equal(info.given_name, ion.given_name);
      });
      test('oidcc-userinfo-post-header', async () => {
        assert.ok(flow, 'previous step failed');
        const res = await rawUserInfo(flow.config, flow.tokens.access_token, { method: 'POST', via: 'header' });
        assert.equal(res.status, 200, snippet(res.text));
        assert.equal(res.json?.sub, flow.claims.sub);
      });
      test('oidcc-userinfo-post-body', async () => {
        assert.ok(flow, 'previous step failed');
        const res = await rawUserInfo(flow.config, flow.tokens.access_token, { method: 'POST', via: 'body' });
        assert.equal(res.status, 200, snippet(res.text));
        assert.equal(res.json?.sub, flow.claims.sub);
      });
      test('userinfo without a token: 401 with a Bearer challenge (RFC 6750 §3)', async () => {
        assert.ok(flow, 'previous step failed');
        const res = await fetch(flow.config.serverMetadata().userinfo_endpoint);
        await res.arrayBuffer();
        assert.equal(res.status, 401);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/i);
      });
      test('userinfo with a forged token: 401 invalid_token', async () => {
        assert.ok(flow, 'previous step failed');
        const forged = `${flow.tokens.access_token.slice(0, -2)}${flow.tokens.access_token.endsWith('AA') ? 'BB' : 'AA'}`;
        const res = await rawUserInfo(flow.config, forged);
        assert.equal(res.status, 401, snippet(res.text));
        assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
      });
    });

    test('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async () => {
      const flow = await codeFlow(ctx, 'rp-basic', { params: { nonce: undefined } });
      assert.ok(!('nonce' in flow.claims), 'nonce claim present although none was sent');
    });

    describe('scopes (Core §5.4) release only what was asked for', () => {
      const cases = [
        ['oidcc-scope-profile', 'openid profile', { given_name: ion.given_name, family_name: ion.family_name, birthdate: ion.birthdate }, ['email', 'phone_number']],
        ['oidcc-scope-email', 'openid email', { email: ion.email }, ['given_name', 'family_name', 'phone_number']],
        ['oidcc-scope-address', 'openid address', {}, ['email', 'given_name', 'phone_number']],
        ['oidcc-scope-phone', 'openid phone', { phone_number: ion.phone_number }, ['email', 'given_name']],
        ['oidcc-scope-all', 'openid profile email address phone', {
          given_name: ion.given_name, family_name: ion.family_name, birthdate: ion.birthdate,
          email: ion.email, phone_number: ion.phone_number,
        }, []],
        ['oidcc-ensure-other-scope-order-succeeds', 'email openid', { email: ion.email }, ['given_name']],
      ];
      for (const [name, scope, expected, absent] of cases) {
        test(name, async () => {
          const flow = await codeFlow(ctx, 'rp-basic', { params: { scope } });
          const info = await userInfo(flow);
          for (const [claim, value] of Object.entries(expected)) {
            assert.equal(info[claim], value, `userinfo ${claim} for scope "${scope}"`);
          }
          for (const claim of absent) {
            assert.ok(!(claim in info), `userinfo released ${claim} for scope "${scope}"`);
            assert.ok(!(claim in flow.claims), `ID token released ${claim} for scope "${scope}"`);
          }
        });
      }
    });

    for (const display of ['page', 'popup']) {
      test(`oidcc-display-${display}`, async () => {
        await codeFlow(ctx, 'rp-basic', { params: { display } });
      });
    }

    describe('with an existing SSO session', () => {
      const browser = new Browser('sso');
      let first;
      test('first login establishes the session', async () => {
        first = await codeFlow(ctx, 'rp-basic', { browser });
        assert.ok(first.outcome.sawLogin);
      });
      test('oidcc-prompt-none-logged-in', async () => {
        assert.ok(first, 'previous step failed');
        const flow = await codeFlow(ctx, 'rp-basic', { browser, params: { prompt: 'none' } });
        assert.ok(!flow.outcome.sawLogin, 'prompt=none showed the login page');
        assert.equal(flow.claims.sub, first.claims.sub);
        assert.equal(flow.claims.sid, first.claims.sid, 'same session, different sid');
      });
      test('oidcc-max-age-10000', async () => {
        assert.ok(first, 'previous step failed');
        const flow = await codeFlow(ctx, 'rp-basic', { browser, params: { max_age: '10000' }, maxAge: 10000 });
        assert.ok(!flow.outcome.sawLogin, 'max_age=10000 forced a new login');
        assert.equal(flow.claims.auth_time, first.claims.auth_time);
      });
      test('oidcc-id-token-hint', async () => {
        assert.ok(first, 'previous step failed');
        const flow = await codeFlow(ctx, 'rp-basic', {
          browser, params: { prompt: 'none', id_token_hint: first.tokens.id_token },
        });
        assert.equal(flow.claims.sub, first.claims.sub);
      });
      test('oidcc-prompt-login', async () => {
        assert.ok(first, 'previous step failed');
        const flow = await codeFlow(ctx, 'rp-basic', { browser, params: { prompt: 'login' } });
        assert.ok(flow.outcome.sawLogin, 'prompt=login did not show the login page');
        assert.ok(flow.claims.auth_time >= first.claims.auth_time);
        assert.equal(flow.claims.sub, first.claims.sub);
      });
      test('oidcc-max-age-1', async () => {
        assert.ok(first, 'previous step failed');
        const before = await codeFlow(ctx, 'rp-basic', { browser, params: { prompt: 'none' } });
        // Wait until more than one whole second separates now from auth_time.
        await sleep(Math.max(0, (before.claims.auth_time + 2) * 1000 - Date.now()) + 100);
        const flow = await codeFlow(ctx, 'rp-basic', { browser, params: { max_age: '1' }, maxAge: 1 });
        assert.ok(flow.outcome.sawLogin, 'max_age=1 did not force a new login');
        assert.ok(flow.claims.auth_time > before.claims.auth_time, 'auth_time not renewed');
      });
    });

    test('oidcc-prompt-none-not-logged-in: login_required with state and iss', async () => {
      const auth = await authorize(ctx, 'rp-basic', { params: { prompt: 'none' } });
      assert.ok(!auth.outcome.sawLogin, 'prompt=none showed the login page');
      const p = expectErrorRedirect(auth, 'login_required');
      assert.equal(p.get('state'), auth.state);
      assert.equal(p.get('iss'), ctx.main.url, 'RFC 9207 iss missing or wrong in the error response');
    });

    test('oidcc-ensure-request-with-unknown-parameter-succeeds', async () => {
      await codeFlow(ctx, 'rp-basic', { params: { certme_unknown_extension: 'ignored' } });
    });
    test('oidcc-login-hint', async () => {
      await codeFlow(ctx, 'rp-basic', { params: { login_hint: ion.email } });
    });
    test('oidcc-ui-locales', async () => {
      await codeFlow(ctx, 'rp-basic', { params: { ui_locales: 'ru ro' } });
    });
    test('oidcc-claims-locales', async () => {
      await codeFlow(ctx, 'rp-basic', { params: { claims_locales: 'ru' } });
    });
    test('oidcc-ensure-request-with-acr-values-succeeds', async () => {
      const flow = await codeFlow(ctx, 'rp-basic', { params: { acr_values: kAcrSubstantial } });
      assert.equal(flow.claims.acr, kAcrSubstantial);
    });

    test('oidcc-codereuse: second use is invalid_grant and revokes the first tokens', async () => {
      const flow = await codeFlow(ctx, 'rp-basic');
      const before = await rawUserInfo(flow.config, flow.tokens.access_token);
      assert.equal(before.status, 200, `fresh access token refused: ${snippet(before.text)}`);
      const again = await rawTokenRequest(flow.config, flow.client, codeExchangeForm(flow));
      assertTokenError(again, 'invalid_grant');
      // RFC 6749 §4.1.2: tokens issued from a reused code SHOULD be revoked.
      const after = await rawUserInfo(flow.config, flow.tokens.access_token);
      assert.equal(after.status, 401, `access token still works after code reuse: ${snippet(after.text)}`);
    });

    // Same rule after a 30 s pause; opt-in because it doubles the run time.
    if (process.env.CERTME_CONFORMANCE_SLOW === '1') {
      test('oidcc-codereuse-30seconds', async () => {
        const flow = await codeFlow(ctx, 'rp-basic');
        await sleep(30000);
        const again = await rawTokenRequest(flow.config, flow.client, codeExchangeForm(flow));
        assertTokenError(again, 'invalid_grant');
        const after = await rawUserInfo(flow.config, flow.tokens.access_token);
        assert.equal(after.status, 401, `access token still works after code reuse: ${snippet(after.text)}`);
      });
    }

    test('oidcc-ensure-registered-redirect-uri: error page, no redirect', async () => {
      const auth = await authorize(ctx, 'rp-basic', { redirectUri: ctx.rp.url('/not-registered') });
      assert.equal(auth.outcome.kind, 'page',
        `bridge redirected to an unregistered redirect_uri: ${auth.outcome.url ?? auth.outcome.action}`);
      assert.ok(auth.outcome.status >= 400 && auth.outcome.status < 500, `status ${auth.outcome.status}`);
      assert.ok(!auth.outcome.sawLogin, 'login page shown before the redirect_uri was checked');
      assert.equal(ctx.rp.received((r) => r.path === '/not-registered').length, 0);
    });

    test('oidcc-server-client-secret-post', async () => {
      const flow = await codeFlow(ctx, 'rp-post');
      assert.ok([].concat(flow.claims.aud).includes('rp-post'));
      const info = await userInfo(flow);
      assert.equal(info.sub, flow.claims.sub);
    });

    test('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: invalid_request_object', async () => {
      const requestObject = `${jose.base64url.encode(JSON.stringify({ alg: 'none' }))}.` +
        `${jose.base64url.encode(JSON.stringify({ client_id: 'rp-basic', scope: 'openid', response_type: 'code' }))}.`;
      const auth = await authorize(ctx, 'rp-basic', { params: { request: requestObject } });
      const p = expectErrorRedirect(auth, 'invalid_request_object');
      assert.equal(p.get('state'), auth.state);
    });

    test('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: request_uri_not_supported', async () => {
      const auth = await authorize(ctx, 'rp-basic', { params: { request_uri: ctx.rp.url('/request-object.jwt') } });
      const p = expectErrorRedirect(auth, 'request_uri_not_supported');
      assert.equal(p.get('state'), auth.state);
      assert.equal(ctx.rp.received((r) => r.path === '/request-object.jwt').length, 0, 'bridge fetched the request_uri');
    });

    test('oidcc-claims-essential', async () => {
      const claims = JSON.stringify({ userinfo: { name: { essential: true } } });
      const flow = await codeFlow(ctx, 'rp-basic', { params: { claims } });
      const info = await userInfo(flow);
      assert.equal(info.sub, flow.claims.sub);
    });

    describe('oidcc-refresh-token', () => {
      // Core §11: offline_access with prompt=consent asks for a refresh token.
      const params = { scope: 'openid offline_access', prompt: 'consent' };
      let flow;
      let rotated;
      test('refresh grant rotates the refresh token and keeps the identity', async () => {
        flow = await codeFlow(ctx, 'rp-basic', { params });
        assert.ok(flow.tokens.refresh_token, 'no refresh_token issued');
        assert.match(flow.tokens.refresh_token, /^[\x20-\x7e]+$/, 'RFC 6749 A.17: refresh_token characters');
        rotated = await oidc.refreshTokenGrant(flow.config, flow.tokens.refresh_token);
        assert.ok(rotated.access_token && rotated.access_token !== flow.tokens.access_token, 'no new access token');
        assert.ok(rotated.refresh_token && rotated.refresh_token !== flow.tokens.refresh_token, 'refresh token not rotated');
        if (rotated.id_token) {
          // Core §12.2: same iss, sub, aud; auth_time kept.
          const c = rotated.claims();
          assert.equal(c.iss, flow.claims.iss);
          assert.equal(c.sub, flow.claims.sub);
          assert.deepEqual([].concat(c.aud), [].concat(flow.claims.aud));
          if (c.auth_time !== undefined) assert.equal(c.auth_time, flow.claims.auth_time);
        }
        const info = await oidc.fetchUserInfo(flow.config, rotated.access_token, flow.claims.sub);
        assert.equal(info.sub, flow.claims.sub);
      });
      test('refresh token is bound to its client (RFC 6749 §6)', async () => {
        assert.ok(rotated, 'previous step failed');
        const other = ctx.client('rp-basic2');
        const otherConfig = await ctx.config('rp-basic2');
        const res = await rawTokenRequest(otherConfig, other, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token });
        assertTokenError(res, 'invalid_grant');
      });
    });

    test('oidcc-ensure-request-with-valid-pkce-succeeds', async () => {
      const flow = await codeFlow(ctx, 'rp-basic');
      assert.ok(flow.params.code_challenge && flow.params.code_challenge_method === 'S256');
      assert.ok(flow.tokens.access_token);
    });

    test('oidcc-ensure-post-request-succeeds: authorization request sent as a form POST', async () => {
      const flow = await codeFlow(ctx, 'rp-basic', { method: 'POST' });
      assert.ok(flow.tokens.id_token);
    });
  });
}
