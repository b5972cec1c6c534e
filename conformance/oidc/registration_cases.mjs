// Dynamic client registration (RFC 7591) and its management (RFC 7592)
// against the running bridge: openid-client's dynamicClientRegistration
// with an initial access token made by `certme admin create-initial-token`,
// a login through the dev wallet login with the client it registered, and
// the client's own registration access token for read, update and delete
// (openid-client's fetchProtectedResource); then the refusals.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { codeFlow } from './lib/flows.mjs';

// A fresh initial access token for the main bridge's store.
function initialToken(ctx, { uses = 1, policy } = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CERTME_')));
  env.CERTME_STORE_SQLITE_PATH = path.join(ctx.main.workDir, `${ctx.main.name}.db`);
  const args = ['admin', 'create-initial-token', '--name', 'conformance', '--uses', String(uses), '--ttl', '1h'];
  if (policy) args.push('--policy', JSON.stringify(policy));
  return execFileSync(ctx.main.binary, args, { env, encoding: 'utf8' }).trim();
}

async function registerClient(ctx, metadata, initialAccessToken) {
  // openid-client authenticates a registered client with client_secret_post
  // unless told otherwise: say the method the metadata registers.
  const auth = metadata.token_endpoint_auth_method === 'client_secret_basic' ? oidc.ClientSecretBasic() : undefined;
  return oidc.dynamicClientRegistration(new URL(ctx.main.url), metadata, auth, {
    initialAccessToken,
    execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
  });
}

// POST /register by hand, for the refusals: the status and the JSON body.
async function rawRegister(ctx, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${ctx.main.url}/register`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json };
}

async function manage(config, method, body) {
  const meta = config.clientMetadata();
  const headers = new Headers();
  if (body) headers.set('content-type', 'application/json');
  return oidc.fetchProtectedResource(config, meta.registration_access_token, new URL(meta.registration_client_uri),
    method, body ? JSON.stringify(body) : undefined, headers);
}

export function register(ctx) {
  describe('dynamic client registration (RFC 7591, RFC 7592)', () => {
    const metadataFor = (id) => ({
      redirect_uris: [ctx.rp.url(`/cb/${id}`)],
      client_name: 'Conformance partner',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      scope: 'openid profile',
    });

    test('discovery names the registration endpoint', async () => {
      const meta = (await ctx.config('rp-basic')).serverMetadata();
      assert.equal(meta.registration_endpoint, `${ctx.main.url}/register`);
    });

    test('a bridge without oidc.registration_enabled names no endpoint and serves none', async () => {
      const meta = (await ctx.config('rp-basic', ctx.shortCode)).serverMetadata();
      assert.equal(meta.registration_endpoint, undefined);
      const res = await fetch(`${ctx.shortCode.url}/register`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
      });
      await res.arrayBuffer();
      assert.equal(res.status, 404);
    });

    test('register with an initial access token, log in, read, update, delete', async () => {
      const config = await registerClient(ctx, metadataFor('dyn'), initialToken(ctx));
      const meta = config.clientMetadata();
      assert.match(meta.client_id, /^svc-/);
      assert.ok(meta.client_secret, 'a client secret is issued');
      assert.equal(meta.client_secret_expires_at, 0);
      assert.ok(meta.registration_access_token);
      assert.equal(meta.registration_client_uri, `${ctx.main.url}/register/${meta.client_id}`);

      // The new client logs a user in as the file-registered ones do.
      const id = meta.client_id;
      ctx.clients[id] = { id, secret: meta.client_secret, auth: 'client_secret_basic',
        redirectUri: meta.redirect_uris[0], idTokenAlg: 'RS256' };
      ctx.configs.set(`${ctx.main.name}/${id}`, config);
      const flow = await codeFlow(ctx, id);
      assert.equal(flow.claims.aud, id);
      assert.ok(flow.tokens.access_token);

      // RFC 7592 §2.1: read with the registration access token.
      const read = await manage(config, 'GET');
      assert.equal(read.status, 200);
      const current = await read.json();
      assert.deepEqual(current.redirect_uris, meta.redirect_uris);
      assert.equal(current.client_id, id);

      // RFC 7592 §2.2: replace the metadata.
      const updated = { ...metadataFor('dyn'), client_id: id,
        redirect_uris: [ctx.rp.url('/cb/dyn'), ctx.rp.url('/cb/dyn2')], client_name: 'Renamed partner' };
      const put = await manage(config, 'PUT', updated);
      assert.equal(put.status, 200);
      const after = await put.json();
      assert.deepEqual(after.redirect_uris, updated.redirect_uris);
      assert.equal(after.client_name, 'Renamed partner');
      // The same client logs in again after the update (secret kept).
      await codeFlow(ctx, id);

      // PUT that changes client_id is refused and changes nothing.
      const moved = await manage(config, 'PUT', { ...updated, client_id: 'svc-someone-else' });
      assert.equal(moved.status, 400);

      // RFC 7592 §2.3: delete; afterwards the token and the client are gone.
      const del = await manage(config, 'DELETE');
      assert.equal(del.status, 204);
      // openid-client turns a 401 with a WWW-Authenticate challenge into an error.
      const refused = (err) => err.error === 'invalid_client' || err.error === 'invalid_token' ||
        (err.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' && err.status === 401);
      await assert.rejects(manage(config, 'GET'), refused);
      await assert.rejects(oidc.clientCredentialsGrant(config, { scope: 'openid' }), refused);
    });

    test('refusals: no token, a used-up token, bad metadata, forbidden grant, bad redirect URI', async () => {
      const noToken = await rawRegister(ctx, metadataFor('x'));
      assert.equal(noToken.status, 401);
      assert.equal(noToken.json.error, 'invalid_token');

      const once = initialToken(ctx);
      await assert.rejects(registerClient(ctx, { ...metadataFor('x'), redirect_uris: ['https://rp.example/cb#frag'] }, once),
        (err) => err.error === 'invalid_redirect_uri');
      await assert.rejects(registerClient(ctx, { ...metadataFor('x'), redirect_uris: ['http://rp.example/cb'] }, once),
        (err) => err.error === 'invalid_redirect_uri');
      await assert.rejects(registerClient(ctx, { ...metadataFor('x'), grant_types: ['client_credentials'], response_types: [] }, once),
        (err) => err.error === 'invalid_client_metadata');
      await assert.rejects(registerClient(ctx, { ...metadataFor('x'), token_endpoint_auth_method: 'private_key_jwt' }, once),
        (err) => err.error === 'invalid_client_metadata');
      // None of those spent the one-time token; this registration does, and then it is used up.
      await registerClient(ctx, metadataFor('y'), once);
      await assert.rejects(registerClient(ctx, metadataFor('y'), once), (err) => err.status === 401 || /401|invalid_token/.test(String(err)));

      // A token's policy: redirect URIs under a prefix only.
      const scoped = initialToken(ctx, { policy: { redirect_uri_prefixes: [ctx.rp.url('/cb/partner/')] } });
      await assert.rejects(registerClient(ctx, metadataFor('elsewhere'), scoped), (err) => err.error === 'invalid_redirect_uri');
      const ok = await registerClient(ctx, metadataFor('partner/app'), scoped);
      assert.ok(ok.clientMetadata().client_id);

      // Someone else's registration access token reads nothing.
      const other = await registerClient(ctx, metadataFor('z'), initialToken(ctx));
      const res = await fetch(other.clientMetadata().registration_client_uri, {
        headers: { authorization: `Bearer ${ok.clientMetadata().registration_access_token}` },
      });
      assert.equal(res.status, 401);
    });
  });
}
