// Cases beyond the basic plan's default variant: other client
// authentication methods and ID token algorithms, form_post, client
// credentials, pairwise subjects, and the negative cases each of which must
// produce the specified error.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import {
  assertTokenError, authorize, callbackOf, codeExchangeForm, codeFlow, expectErrorRedirect,
  rawTokenRequest, rawUserInfo, remoteJwks, sleep, snippet,
} from './lib/flows.mjs';
import { Browser, devLoginForm } from './lib/browser.mjs';
import { kIdentities } from './lib/fixtures.mjs';

export function register(ctx) {
  describe('client authentication and ID token algorithms', () => {
    test('private_key_jwt (RFC 7523 §2.2) code flow', async () => {
      const flow = await codeFlow(ctx, 'rp-pkjwt');
      assert.ok([].concat(flow.claims.aud).includes('rp-pkjwt'));
    });

    test('private_key_jwt: a replayed client assertion is refused (Core §9 jti)', async () => {
      // Capture one assertion as openid-client builds it, then replay it.
      const config = await ctx.config('rp-pkjwt');
      let assertion;
      const spy = oidc.customFetch;
      config[spy] = async (url, options) => {
        const body = new URLSearchParams(options.body?.toString());
        assertion ??= body.get('client_assertion');
        return fetch(url, options);
      };
      try {
        await codeFlow(ctx, 'rp-pkjwt');
      } finally {
        delete config[spy];
      }
      assert.ok(assertion, 'no client_assertion captured');
      const res = await fetch(config.serverMetadata().token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token', refresh_token: 'unused',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      });
      const json = await res.json().catch(() => ({}));
      assert.equal(json.error, 'invalid_client', `replayed assertion: ${res.status} ${JSON.stringify(json)}`);
    });

    for (const [clientId, alg] of [['rp-es256', 'ES256'], ['rp-ps256', 'PS256']]) {
      test(`${alg}-signed ID token`, async () => {
        const flow = await codeFlow(ctx, clientId);
        assert.equal(jose.decodeProtectedHeader(flow.tokens.id_token).alg, alg);
        await jose.jwtVerify(flow.tokens.id_token, remoteJwks(flow.config), {
          issuer: ctx.main.url, audience: clientId, algorithms: [alg],
        });
      });
    }
  });

  describe('response modes, grants, subjects', () => {
    test('form_post response mode (OAuth 2.0 Form Post Response Mode §2)', async () => {
      const auth = await authorize(ctx, 'rp-basic', { params: { response_mode: 'form_post' } });
      assert.equal(auth.outcome.kind, 'form_post', `no auto-submitting form; got ${auth.outcome.kind}`);
      assert.equal(auth.outcome.action.href, ctx.client('rp-basic').redirectUri);
      assert.equal(auth.outcome.fields.state, auth.state);
      const tokens = await oidc.authorizationCodeGrant(auth.config, callbackOf(auth), {
        pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce, idTokenExpected: true,
      });
      assert.equal(tokens.claims().nonce, auth.nonce);
      const page = auth.outcome.page;
      // The page carries the code: it must not be cached or framed.
      assert.match(page.headers.get('cache-control') ?? '', /no-store/);
    });

    test('client_credentials grant (RFC 6749 §4.4)', async () => {
      const config = await ctx.config('rp-cc');
      const tokens = await oidc.clientCredentialsGrant(config);
      assert.ok(tokens.access_token);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.ok(!tokens.id_token, 'ID token issued without an end-user');
      const res = await rawUserInfo(config, tokens.access_token);
      assert.notEqual(res.status, 200, `userinfo answered for a token with no end-user: ${snippet(res.text)}`);
    });

    test('client_credentials refused for a client not registered for it', async () => {
      const config = await ctx.config('rp-basic');
      const res = await rawTokenRequest(config, ctx.client('rp-basic'), { grant_type: 'client_credentials' });
      assertTokenError(res, 'unauthorized_client');
    });

    test('pairwise subject (Core §8.1) differs from the public one and is stable', async () => {
      const pub = await codeFlow(ctx, 'rp-basic');
      const pair1 = await codeFlow(ctx, 'rp-pairwise');
      const pair2 = await codeFlow(ctx, 'rp-pairwise');
      assert.notEqual(pair1.claims.sub, pub.claims.sub);
      assert.notEqual(pair1.claims.sub.toLowerCase(), kIdentities.ion.address.toLowerCase(), 'pairwise sub is the eID address');
      assert.equal(pair1.claims.sub, pair2.claims.sub);
      const other = await codeFlow(ctx, 'rp-basic2');
      assert.equal(other.claims.sub, pub.claims.sub, 'public sub differs between clients');
    });

    test('different identities get different subjects', async () => {
      const ion = await codeFlow(ctx, 'rp-basic', { identity: 'ion' });
      const maria = await codeFlow(ctx, 'rp-basic', { identity: 'maria', params: { scope: 'openid profile' } });
      assert.notEqual(ion.claims.sub, maria.claims.sub);
      const info = await oidc.fetchUserInfo(maria.config, maria.tokens.access_token, maria.claims.sub);
      assert.equal(info.given_name, kIdentities.maria.given_name);
      assert.equal(info.family_name, kIdentities.maria.family_name);
    });

    test('certme scope releases the IDNP (config/claims.yaml)', async () => {
      const flow = await codeFlow(ctx, 'rp-basic', { params: { scope: 'openid certme' } });
      const info = await oidc.fetchUserInfo(flow.config, flow.tokens.access_token, flow.claims.sub);
      assert.equal(info.idnp, kIdentities.ion.idnp);
      assert.ok(!('email' in info), 'certme scope released email');
    });

    test('user refuses at the login page: access_denied (Core §3.1.2.6)', async () => {
      const auth = await authorize(ctx, 'rp-basic', { refuse: true });
      assert.ok(auth.outcome.sawLogin);
      const p = expectErrorRedirect(auth, 'access_denied');
      assert.equal(p.get('state'), auth.state);
    });
  });

  describe('development login double (shared contract)', () => {
    test('login page: 302 to /login/dev?txn=, title, hidden txn, identities ion and maria', async () => {
      const config = await ctx.config('rp-basic');
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: ctx.client('rp-basic').redirectUri, scope: 'openid', state: oidc.randomState(),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const browser = new Browser();
      const start = await browser.request(url);
      assert.equal(start.status, 302, snippet(start.body));
      assert.equal(`${start.location.origin}${start.location.pathname}`, `${ctx.main.url}/login/dev`);
      assert.ok(start.location.searchParams.get('txn'), 'no txn in the login redirect');
      const page = await browser.request(start.location);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.body, /<title>[^<]*Conectare cu certME[^<]*development login[^<]*<\/title>/);
      const form = devLoginForm(page);
      assert.equal(form.hidden.txn, start.location.searchParams.get('txn'));
    });

    for (const method of ['GET', 'POST']) {
      test(`unknown txn (${method}): 400 HTML page`, async () => {
        const browser = new Browser();
        const url = `${ctx.main.url}/login/dev${method === 'GET' ? '?txn=no-such-transaction' : ''}`;
        const res = await browser.request(url, method === 'POST' ? { form: { txn: 'no-such-transaction', identity: 'ion' } } : {});
        assert.equal(res.status, 400, snippet(res.body));
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.equal(res.location, null);
      });
    }

    test('not mounted when login.dev_login is false', async () => {
      const res = await fetch(`${ctx.noDevLogin.url}/login/dev?txn=x`, { redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 404);
    });
  });

  describe('negative cases', () => {
    test('redirect_uri at the token endpoint differs from the authorization request: invalid_grant', async () => {
      const client = ctx.client('rp-basic');
      const auth = await authorize(ctx, 'rp-basic', { redirectUri: client.otherRedirectUri });
      const res = await rawTokenRequest(auth.config, client, codeExchangeForm(auth, { redirectUri: client.redirectUri }));
      assertTokenError(res, 'invalid_grant');
    });

    test('wrong client secret (Authorization header): 401 invalid_client with WWW-Authenticate', async () => {
      const client = ctx.client('rp-basic');
      const auth = await authorize(ctx, 'rp-basic');
      const res = await rawTokenRequest(auth.config, client, codeExchangeForm(auth), { secret: `${client.secret}x` });
      assertTokenError(res, 'invalid_client', 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/i, 'RFC 6749 §5.2: WWW-Authenticate required');
    });

    test('wrong client secret (client_secret_post): invalid_client', async () => {
      const client = ctx.client('rp-post');
      const auth = await authorize(ctx, 'rp-post');
      const res = await rawTokenRequest(auth.config, client, codeExchangeForm(auth), { auth: 'post', secret: 'not-the-secret' });
      assert.ok([400, 401].includes(res.status), `status ${res.status}`);
      assert.equal(res.json?.error, 'invalid_client', snippet(res.text));
    });

    test('openid-client rejects a wrong secret with 401', async () => {
      const client = ctx.client('rp-basic');
      const config = new oidc.Configuration(
        (await ctx.config('rp-basic')).serverMetadata(), client.id, {}, oidc.ClientSecretBasic('wrong-secret'));
      oidc.allowInsecureRequests(config);
      const err = await oidc.clientCredentialsGrant(config).then(() => null, (e) => e);
      assert.ok(err, 'grant with a wrong secret succeeded');
      // With a WWW-Authenticate challenge openid-client reports the challenge,
      // not the body; the body's error code is checked by the raw cases.
      assert.equal(err.status, 401, `status ${err.status} (${err.message})`);
    });

    test('code issued to another client: invalid_grant (RFC 6749 §4.1.3)', async () => {
      const auth = await authorize(ctx, 'rp-basic');
      const other = ctx.client('rp-basic2');
      const res = await rawTokenRequest(await ctx.config('rp-basic2'), other,
        codeExchangeForm(auth, { redirectUri: auth.params.redirect_uri }));
      assertTokenError(res, 'invalid_grant');
    });

    test('expired authorization code: invalid_grant', async () => {
      const bridge = ctx.shortCode;
      const auth = await authorize(ctx, 'rp-basic', { bridge });
      callbackOf(auth); // reached the RP
      await sleep(3200); // CERTME_OIDC_CODE_TTL_SECONDS=2 on this instance
      const res = await rawTokenRequest(auth.config, auth.client, codeExchangeForm(auth));
      assertTokenError(res, 'invalid_grant');
    });

    test('PKCE verifier mismatch: invalid_grant (RFC 7636 §4.6)', async () => {
      const auth = await authorize(ctx, 'rp-basic');
      const res = await rawTokenRequest(auth.config, auth.client,
        codeExchangeForm(auth, { verifier: oidc.randomPKCECodeVerifier() }));
      assertTokenError(res, 'invalid_grant');
    });

    test('PKCE verifier missing for a code bound to a challenge: invalid_grant', async () => {
      const auth = await authorize(ctx, 'rp-basic');
      const form = codeExchangeForm(auth);
      delete form.code_verifier;
      const res = await rawTokenRequest(auth.config, auth.client, form);
      assert.equal(res.status, 400, snippet(res.text));
      assert.ok(['invalid_grant', 'invalid_request'].includes(res.json?.error), snippet(res.text));
    });

    test('PKCE method plain refused at the authorization endpoint', async () => {
      const auth = await authorize(ctx, 'rp-basic', { params: { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' } });
      expectErrorRedirect(auth, 'invalid_request');
    });

    test('response_type=token: unsupported_response_type', async () => {
      const auth = await authorize(ctx, 'rp-basic', { params: { response_type: 'token' } });
      assert.ok(!auth.outcome.sawLogin, 'login page shown for an unsupported response type');
      const p = expectErrorRedirect(auth, 'unsupported_response_type');
      assert.equal(p.get('access_token'), null);
      assert.equal(p.get('state'), auth.state);
    });

    test('refresh token reuse after rotation revokes the whole family', async () => {
      const flow = await codeFlow(ctx, 'rp-basic', { params: { scope: 'openid offline_access', prompt: 'consent' } });
      const rt1 = flow.tokens.refresh_token;
      assert.ok(rt1, 'no refresh_token issued');
      const second = await oidc.refreshTokenGrant(flow.config, rt1);
      const rt2 = second.refresh_token;
      assert.ok(rt2 && rt2 !== rt1, 'refresh token not rotated');
      const reuse = await rawTokenRequest(flow.config, flow.client, { grant_type: 'refresh_token', refresh_token: rt1 });
      assertTokenError(reuse, 'invalid_grant');
      // OAuth 2.0 Security BCP (RFC 9700 §4.14.2): reuse of a rotated token
      // signals theft; the active token of the family dies with it.
      const afterTheft = await rawTokenRequest(flow.config, flow.client, { grant_type: 'refresh_token', refresh_token: rt2 });
      assertTokenError(afterTheft, 'invalid_grant');
    });

    test('unknown client_id: error page, no redirect', async () => {
      const config = await ctx.config('rp-basic');
      const url = new URL(config.serverMetadata().authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: 'no-such-client', redirect_uri: ctx.client('rp-basic').redirectUri, response_type: 'code',
        scope: 'openid', state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
      }).toString();
      const outcome = await new Browser().drive(url, { rpOrigin: ctx.rp.origin });
      assert.equal(outcome.kind, 'page', 'redirected for an unknown client');
      assert.ok(outcome.status >= 400 && outcome.status < 500, `status ${outcome.status}`);
    });
  });
}
