// Pushed authorization requests (RFC 9126) through openid-client's
// buildAuthorizationUrlWithPAR against the running bridge: the code flow
// with a pushed request, a client registered to require them, and a
// request_uri that is used twice, unknown or another client's.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { authorize, codeFlow, expectErrorRedirect } from './lib/flows.mjs';

// GET /authorize without following redirects: the status the bridge answers.
async function authorizeStatus(url) {
  const res = await fetch(url, { redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

async function pushed(ctx, clientId) {
  const config = await ctx.config(clientId);
  const client = ctx.client(clientId);
  return oidc.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: client.redirectUri, scope: 'openid', response_type: 'code',
    state: oidc.randomState(), nonce: oidc.randomNonce(),
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
}

export function register(ctx) {
  describe('pushed authorization requests (RFC 9126)', () => {
    test('discovery advertises the PAR endpoint', async () => {
      const meta = (await ctx.config('rp-basic')).serverMetadata();
      assert.equal(meta.pushed_authorization_request_endpoint, `${ctx.main.url}/par`);
      assert.equal(meta.require_pushed_authorization_requests, false);
    });

    test('code flow with a pushed request (client_secret_basic)', async () => {
      const flow = await codeFlow(ctx, 'rp-basic', { par: true });
      assert.equal(flow.url.searchParams.get('client_id'), 'rp-basic');
      assert.match(flow.url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
      assert.equal(flow.url.searchParams.get('redirect_uri'), null);
      assert.equal(flow.claims.aud, 'rp-basic');
    });

    test('code flow with a pushed request (private_key_jwt)', async () => {
      const flow = await codeFlow(ctx, 'rp-pkjwt', { par: true });
      assert.equal(flow.claims.aud, 'rp-pkjwt');
    });

    test('a client that requires PAR: refused without it, served with it', async () => {
      const plain = await authorize(ctx, 'rp-par');
      expectErrorRedirect(plain, 'invalid_request');
      const flow = await codeFlow(ctx, 'rp-par', { par: true });
      assert.equal(flow.claims.aud, 'rp-par');
    });

    test('a request_uri is used once', async () => {
      const url = await pushed(ctx, 'rp-basic');
      assert.notEqual(await authorizeStatus(url), 400);
      assert.equal(await authorizeStatus(url), 400);
    });

    test('another client\'s request_uri and an unknown one are refused', async () => {
      const url = await pushed(ctx, 'rp-basic');
      const stolen = new URL(url);
      stolen.searchParams.set('client_id', 'rp-basic2');
      assert.equal(await authorizeStatus(stolen), 400);
      const unknown = new URL(url);
      unknown.searchParams.set('request_uri', 'urn:ietf:params:oauth:request_uri:no-such-handle');
      assert.equal(await authorizeStatus(unknown), 400);
      // The rightful client can still use it.
      assert.notEqual(await authorizeStatus(url), 400);
    });

    test('a push with an unregistered redirect_uri is refused', async () => {
      const config = await ctx.config('rp-basic');
      await assert.rejects(oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: 'https://elsewhere.example/cb', scope: 'openid', response_type: 'code',
      }), (err) => err.error === 'invalid_request');
    });
  });
}
