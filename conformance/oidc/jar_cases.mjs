// Signed request objects (RFC 9101) through openid-client's
// buildAuthorizationUrlWithJAR against the running bridge: the code flow
// with a request object at /authorize and pushed to /par, a client that
// requires them, and objects the bridge must refuse (unsigned, another key,
// expired, for another audience).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { Browser } from './lib/browser.mjs';
import { authorize, codeFlow, expectErrorRedirect, responseParams, snippet } from './lib/flows.mjs';

// /authorize with client_id, the given request object, and the registered
// redirect_uri and a state beside it: where a refusal must be sent.
async function withObject(ctx, clientId, requestObject) {
  const config = await ctx.config(clientId);
  const client = ctx.client(clientId);
  const url = new URL(config.serverMetadata().authorization_endpoint);
  const state = oidc.randomState();
  url.search = new URLSearchParams({ client_id: clientId, request: requestObject, redirect_uri: client.redirectUri, state }).toString();
  const browser = new Browser();
  const outcome = await browser.drive(url, { rpOrigin: ctx.rp.origin });
  return { outcome, browser, state };
}

function claimsFor(ctx, clientId, extra = {}) {
  const client = ctx.client(clientId);
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: clientId, aud: ctx.main.url, client_id: clientId, iat: now, exp: now + 120,
    response_type: 'code', scope: 'openid', redirect_uri: client.redirectUri,
    state: oidc.randomState(), nonce: oidc.randomNonce(),
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    ...extra,
  };
}

async function signWith(key, claims) {
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'oauth-authz-req+jwt' }).sign(key.key);
}

function expectObjectRefused(result, what) {
  const { outcome, browser, state } = result;
  assert.equal(outcome.kind, 'redirect', `${what}: expected a redirect with invalid_request_object, got ${outcome.status}:\n` +
    `    ${browser.describeTrail()}\n    page: ${snippet(outcome.body)}`);
  const p = responseParams(result);
  assert.equal(p.get('error'), 'invalid_request_object', what);
  assert.equal(p.get('state'), state, `${what}: state`);
  assert.equal(outcome.sawLogin, false, `${what}: a login was started`);
}

export function register(ctx) {
  describe('signed request objects (RFC 9101)', () => {
    test('discovery advertises request objects, never unsigned ones', async () => {
      const meta = (await ctx.config('rp-jar')).serverMetadata();
      assert.equal(meta.request_parameter_supported, true);
      assert.deepEqual(meta.request_object_signing_alg_values_supported, ['RS256', 'PS256', 'ES256', 'EdDSA']);
    });

    test('code flow with a signed request object at /authorize', async () => {
      const flow = await codeFlow(ctx, 'rp-jar', { jar: true });
      const sent = flow.url.searchParams;
      assert.deepEqual([...sent.keys()].sort(), ['client_id', 'request']);
      assert.equal(flow.claims.aud, 'rp-jar');
      assert.equal(flow.claims.nonce, flow.nonce);
    });

    test('code flow with a signed request object pushed to /par', async () => {
      const flow = await codeFlow(ctx, 'rp-jar', { jar: true, par: true });
      assert.match(flow.url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
      assert.equal(flow.claims.aud, 'rp-jar');
    });

    test('a client that requires request objects is refused without one', async () => {
      expectErrorRedirect(await authorize(ctx, 'rp-jar'), 'invalid_request');
      const config = await ctx.config('rp-jar');
      await assert.rejects(oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: ctx.client('rp-jar').redirectUri, scope: 'openid', response_type: 'code',
      }), (err) => err.error === 'invalid_request');
    });

    test('unsigned, another key, expired, another audience: invalid_request_object, no login', async () => {
      const client = ctx.client('rp-jar');
      const unsigned = new jose.UnsecuredJWT(claimsFor(ctx, 'rp-jar')).encode();
      expectObjectRefused(await withObject(ctx, 'rp-jar', unsigned), 'alg none');
      expectObjectRefused(await withObject(ctx, 'rp-jar', await signWith(client.strangerKey, claimsFor(ctx, 'rp-jar'))),
        'signed with a key the client never registered');
      const past = Math.floor(Date.now() / 1000) - 3600;
      expectObjectRefused(await withObject(ctx, 'rp-jar', await signWith(client.requestKey,
        claimsFor(ctx, 'rp-jar', { iat: past - 60, exp: past }))), 'expired');
      expectObjectRefused(await withObject(ctx, 'rp-jar', await signWith(client.requestKey,
        claimsFor(ctx, 'rp-jar', { aud: 'https://elsewhere.example' }))), 'another audience');
      expectObjectRefused(await withObject(ctx, 'rp-jar', await signWith(client.requestKey,
        claimsFor(ctx, 'rp-jar', { client_id: 'rp-basic' }))), 'another client_id inside');
    });
  });
}
