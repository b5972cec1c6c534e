// Sender-constrained tokens with DPoP (RFC 9449), driven through
// openid-client's own DPoP support (randomDPoPKeyPair, getDPoPHandle: proofs,
// the server nonce and its use_dpop_nonce retry) against the running bridge:
// the code flow, UserInfo, refresh and introspection with a DPoP-bound
// token, and the refusals — the token as a bearer token, another key, a
// replayed proof, a client registered for DPoP that sends none.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { authorize, callbackOf, codeExchangeForm, codeFlow, rawTokenRequest, rawUserInfo } from './lib/flows.mjs';

async function thumbprint(keyPair) {
  return jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey), 'sha256');
}

// A fetch that remembers the DPoP proofs openid-client sends.
function recordingFetch(seen) {
  return (url, init) => {
    const proof = new Headers(init?.headers).get('dpop');
    if (proof) seen.push({ url: String(url), proof });
    return fetch(url, init);
  };
}

export function register(ctx) {
  describe('sender-constrained tokens: DPoP (RFC 9449)', () => {
    test('discovery advertises DPoP and certificate-bound tokens', async () => {
      const meta = (await ctx.config('rp-basic')).serverMetadata();
      assert.deepEqual(meta.dpop_signing_alg_values_supported, ['ES256', 'PS256', 'EdDSA', 'RS256']);
      assert.equal(meta.tls_client_certificate_bound_access_tokens, true);
    });

    test('code flow, UserInfo and introspection with a DPoP-bound token', async () => {
      const config = await ctx.config('rp-dpop');
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const dpop = oidc.getDPoPHandle(config, keyPair);
      const flow = await codeFlow(ctx, 'rp-dpop', { dpop });
      assert.equal(flow.tokens.token_type.toLowerCase(), 'dpop');
      const info = await oidc.fetchUserInfo(config, flow.tokens.access_token, flow.claims.sub, { DPoP: dpop });
      assert.equal(info.sub, flow.claims.sub);
      const intro = await oidc.tokenIntrospection(config, flow.tokens.access_token);
      assert.equal(intro.active, true);
      assert.equal(intro.token_type, 'DPoP');
      assert.equal(intro.cnf?.jkt, await thumbprint(keyPair));
      // RFC 9449 §7.2: never as a bearer token.
      const bearer = await rawUserInfo(config, flow.tokens.access_token);
      assert.equal(bearer.status, 401);
      assert.match(bearer.headers.get('www-authenticate') ?? '', /^DPoP .*error="invalid_token"/);
      // Another key's proof.
      const stranger = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      await assert.rejects(oidc.fetchUserInfo(config, flow.tokens.access_token, flow.claims.sub, { DPoP: stranger }),
        (err) => JSON.stringify(err.cause ?? null).includes('invalid_dpop_proof'));
      // A refreshed token is bound to the key of the refresh request's proof.
      const refreshed = await oidc.refreshTokenGrant(config, flow.tokens.refresh_token, undefined, { DPoP: dpop });
      assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
      const again = await oidc.fetchUserInfo(config, refreshed.access_token, flow.claims.sub, { DPoP: dpop });
      assert.equal(again.sub, flow.claims.sub);
    });

    test('a proof is used once: the same DPoP header sent again is refused', async () => {
      const seen = [];
      const base = await ctx.config('rp-dpop');
      const client = ctx.client('rp-dpop');
      const config = await oidc.discovery(new URL(ctx.main.url), client.id,
        { client_secret: client.secret, redirect_uris: [client.redirectUri] }, ctx.clientAuth(client),
        { execute: [oidc.allowInsecureRequests] });
      config[oidc.customFetch] = recordingFetch(seen);
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      const flow = await codeFlow(ctx, 'rp-dpop', { dpop });
      await oidc.fetchUserInfo(config, flow.tokens.access_token, flow.claims.sub, { DPoP: dpop });
      const used = seen.filter((s) => s.url === base.serverMetadata().userinfo_endpoint).at(-1);
      assert.ok(used, 'no DPoP proof seen at UserInfo');
      const replay = await fetch(used.url, {
        headers: { authorization: `DPoP ${flow.tokens.access_token}`, dpop: used.proof },
      });
      await replay.arrayBuffer();
      assert.equal(replay.status, 401);
      assert.match(replay.headers.get('www-authenticate') ?? '', /error="invalid_dpop_proof"/);
    });

    test('a client registered with dpop_bound_access_tokens must send a proof', async () => {
      const auth = await authorize(ctx, 'rp-dpop');
      callbackOf(auth);
      const res = await rawTokenRequest(auth.config, auth.client, codeExchangeForm(auth));
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json?.error, 'invalid_request');
      // The refusal spent nothing: the same code with a proof still works.
      const dpop = oidc.getDPoPHandle(auth.config, await oidc.randomDPoPKeyPair('ES256'));
      const tokens = await oidc.authorizationCodeGrant(auth.config, callbackOf(auth), {
        pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce,
      }, undefined, { DPoP: dpop });
      assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    });

    test('a public client\'s refresh token needs the same key (RFC 9449 §5)', async () => {
      const config = await ctx.config('spa-dpop');
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const dpop = oidc.getDPoPHandle(config, keyPair);
      const flow = await codeFlow(ctx, 'spa-dpop', { dpop });
      const intro = await oidc.tokenIntrospection(await ctx.config('rp-basic'), flow.tokens.refresh_token);
      assert.deepEqual(intro, { active: false });  // another client's token
      const other = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('PS256'));
      await assert.rejects(oidc.refreshTokenGrant(config, flow.tokens.refresh_token, undefined, { DPoP: other }),
        (err) => err.error === 'invalid_dpop_proof');
      await assert.rejects(oidc.refreshTokenGrant(config, flow.tokens.refresh_token),
        (err) => err.error === 'invalid_dpop_proof');
      const refreshed = await oidc.refreshTokenGrant(config, flow.tokens.refresh_token, undefined, { DPoP: dpop });
      assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
    });
  });
}
