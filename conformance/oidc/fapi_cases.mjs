// The FAPI 2.0 Security Profile (docs/oidc.md "FAPI 2.0 Security Profile")
// through openid-client against the running bridge: the client rp-fapi
// (profile fapi2, private_key_jwt with an ES256 key) follows every rule and
// gets DPoP-bound tokens and an unrotated, bound refresh token; then it
// breaks each rule once and is refused with the profile's error.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { authorize, callbackOf, expectErrorRedirect, refusal } from './lib/flows.mjs';

async function grant(auth, dpop) {
  return oidc.authorizationCodeGrant(auth.config, callbackOf(auth), {
    pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce, idTokenExpected: true,
  }, undefined, dpop ? { DPoP: dpop } : undefined);
}

export function register(ctx) {
  describe('FAPI 2.0 Security Profile (profile: fapi2)', () => {
    test('a client that follows every rule: PAR, PKCE, private_key_jwt, DPoP-bound tokens', async () => {
      const config = await ctx.config('rp-fapi');
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      // The proof at /par binds the code to the DPoP key (RFC 9449 §10.1).
      const auth = await authorize(ctx, 'rp-fapi', { par: true, parDpop: dpop, params: { scope: 'openid profile' } });
      // openid-client checks the RFC 9207 `iss` of the response itself.
      assert.equal(new URL(callbackOf(auth)).searchParams.get('iss'), config.serverMetadata().issuer);
      const tokens = await grant(auth, dpop);
      assert.equal(tokens.token_type.toLowerCase(), 'dpop');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP: dpop });
      assert.equal(info.sub, tokens.claims().sub);
      const intro = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(intro.active, true);
      assert.ok(intro.cnf?.jkt, 'introspection shows the DPoP binding');
      // §5.3.2.1 item 10: no rotation; the same refresh token works again.
      for (let i = 0; i < 2; i += 1) {
        const next = await oidc.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP: dpop });
        assert.equal(next.refresh_token, undefined);
        assert.equal(next.token_type.toLowerCase(), 'dpop');
      }
      // The refresh token is bound to the DPoP key.
      const stranger = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      assert.equal(await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP: stranger })),
        'invalid_dpop_proof');
    });

    test('an authorization request that is not pushed is refused at the redirect URI', async () => {
      const auth = await authorize(ctx, 'rp-fapi');
      const params = expectErrorRedirect(auth, 'invalid_request');
      assert.match(params.get('error_description') ?? '', /pushed/);
      assert.equal(params.get('iss'), auth.config.serverMetadata().issuer);
    });

    test('a push without PKCE is refused', async () => {
      const config = await ctx.config('rp-fapi');
      const error = await refusal(oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: ctx.client('rp-fapi').redirectUri, scope: 'openid', response_type: 'code',
      }));
      assert.equal(error, 'invalid_request');
    });

    test('a token request without a DPoP proof is refused, and spends nothing', async () => {
      const auth = await authorize(ctx, 'rp-fapi', { par: true });
      assert.equal(await refusal(grant(auth)), 'invalid_request');
      const dpop = oidc.getDPoPHandle(auth.config, await oidc.randomDPoPKeyPair('ES256'));
      const tokens = await grant(auth, dpop);
      assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    });

    test('an RS256 DPoP proof is refused', async () => {
      const auth = await authorize(ctx, 'rp-fapi', { par: true });
      const rs256 = oidc.getDPoPHandle(auth.config, await oidc.randomDPoPKeyPair('RS256'));
      assert.equal(await refusal(grant(auth, rs256)), 'invalid_dpop_proof');
    });

    test('a code bound to one DPoP key is refused with another', async () => {
      const config = await ctx.config('rp-fapi');
      const bound = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      const auth = await authorize(ctx, 'rp-fapi', { par: true, parDpop: bound });
      const other = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      assert.equal(await refusal(grant(auth, other)), 'invalid_dpop_proof');
    });

    test('an RS256 client assertion is refused (invalid_client)', async () => {
      const client = ctx.client('rp-fapi');
      const config = await oidc.discovery(new URL(ctx.main.url), client.id,
        { id_token_signed_response_alg: 'ES256', redirect_uris: [client.redirectUri] },
        oidc.PrivateKeyJwt(client.rsaKey), { execute: [oidc.allowInsecureRequests] });
      const error = await refusal(oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: client.redirectUri, scope: 'openid', response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }));
      assert.equal(error, 'invalid_client');
    });
  });
}
