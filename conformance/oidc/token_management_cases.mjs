// Token revocation (RFC 7009), token introspection (RFC 7662) and the RFC
// 8414 authorization server metadata, driven through openid-client's own
// functions (tokenRevocation, tokenIntrospection, discovery with the oauth2
// algorithm) against the running bridge.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { codeFlow, rawUserInfo } from './lib/flows.mjs';

export function register(ctx) {
  describe('revocation, introspection and RFC 8414 metadata', () => {
    test('RFC 8414 metadata: same issuer and endpoints as OpenID discovery', async () => {
      const client = ctx.client('rp-basic');
      const config = await oidc.discovery(new URL(ctx.main.url), client.id, { client_secret: client.secret },
        oidc.ClientSecretBasic(client.secret), { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
      const meta = config.serverMetadata();
      const openid = (await ctx.config('rp-basic')).serverMetadata();
      assert.equal(meta.issuer, openid.issuer);
      assert.equal(meta.revocation_endpoint, `${ctx.main.url}/revoke`);
      assert.equal(meta.introspection_endpoint, `${ctx.main.url}/introspect`);
      assert.equal(openid.revocation_endpoint, meta.revocation_endpoint);
      assert.equal(openid.introspection_endpoint, meta.introspection_endpoint);
      assert.ok(!meta.introspection_endpoint_auth_methods_supported.includes('none'));
    });

    test('introspection (RFC 7662): active for the owner, inactive for another client', async () => {
      const flow = await codeFlow(ctx, 'rp-basic');
      const mine = await oidc.tokenIntrospection(flow.config, flow.tokens.access_token);
      assert.equal(mine.active, true);
      assert.equal(mine.client_id, 'rp-basic');
      assert.equal(mine.token_type, 'Bearer');
      assert.equal(mine.sub, flow.claims.sub);
      const refresh = await oidc.tokenIntrospection(flow.config, flow.tokens.refresh_token,
        { token_type_hint: 'refresh_token' });
      assert.equal(refresh.active, true);
      const other = await oidc.tokenIntrospection(await ctx.config('rp-basic2'), flow.tokens.access_token);
      assert.deepEqual(other, { active: false });
    });

    test('introspection with private_key_jwt client authentication', async () => {
      const flow = await codeFlow(ctx, 'rp-pkjwt');
      const answer = await oidc.tokenIntrospection(flow.config, flow.tokens.access_token);
      assert.equal(answer.active, true);
      assert.equal(answer.client_id, 'rp-pkjwt');
    });

    test('revocation (RFC 7009) of an access token: UserInfo answers 401 afterwards', async () => {
      const flow = await codeFlow(ctx, 'rp-post');
      const before = await rawUserInfo(flow.config, flow.tokens.access_token);
      assert.equal(before.status, 200, before.text);
      await oidc.tokenRevocation(flow.config, flow.tokens.access_token, { token_type_hint: 'access_token' });
      const after = await rawUserInfo(flow.config, flow.tokens.access_token);
      assert.equal(after.status, 401, after.text);
      assert.match(after.headers.get('www-authenticate') ?? '', /invalid_token/);
      const introspected = await oidc.tokenIntrospection(flow.config, flow.tokens.access_token);
      assert.equal(introspected.active, false);
    });

    test('revocation of a refresh token ends its grant: refresh and UserInfo fail', async () => {
      const flow = await codeFlow(ctx, 'rp-basic');
      await oidc.tokenRevocation(flow.config, flow.tokens.refresh_token);
      const userinfo = await rawUserInfo(flow.config, flow.tokens.access_token);
      assert.equal(userinfo.status, 401, userinfo.text);
      await assert.rejects(oidc.refreshTokenGrant(flow.config, flow.tokens.refresh_token),
        (err) => err.error === 'invalid_grant');
    });

    test('revocation of another client\'s token is refused and the token stays valid', async () => {
      const flow = await codeFlow(ctx, 'rp-basic');
      await assert.rejects(oidc.tokenRevocation(await ctx.config('rp-basic2'), flow.tokens.access_token),
        (err) => err.error === 'unauthorized_client');
      const userinfo = await rawUserInfo(flow.config, flow.tokens.access_token);
      assert.equal(userinfo.status, 200, userinfo.text);
    });

    test('revocation of an unknown token answers 200', async () => {
      await oidc.tokenRevocation(await ctx.config('rp-basic'), 'no-such-token');
    });
  });
}
