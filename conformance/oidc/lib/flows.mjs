// Protocol steps shared by the cases. Happy paths go through openid-client,
// which validates what a certified relying party validates (state, iss, nonce,
// ID token claims and signature, PKCE). Negative cases that need exact control
// over the request (a reused code, a wrong secret) send it with plain fetch.

import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { Browser } from './browser.mjs';

// Authorization request (OIDC Core §3.1.2.1) driven through a browser until
// the bridge hands back to the RP. `params` overrides or adds parameters; a
// parameter set to undefined is left out. `method: 'POST'` sends the request
// as a form post (Core §3.1.2.1: GET and POST must both be supported).
// `par: true` pushes the parameters first (RFC 9126) and sends the browser
// with client_id and request_uri only. `jar: true` sends them as a request
// object (RFC 9101) signed with the client's requestKey (pushed with `par`).
// `parDpop`: an openid-client DPoP handle whose proof goes with the push,
// binding the code to its key (RFC 9449 §10.1). A context with newBrowser()
// makes the browser (its transport and how it logs in, e.g. with the wallet).
export async function authorize(ctx, clientId, {
  bridge = ctx.main, browser = ctx.newBrowser ? ctx.newBrowser() : new Browser(), params = {}, identity = 'ion', refuse = false,
  method = 'GET', redirectUri, par = false, jar = false, parDpop,
} = {}) {
  const client = ctx.client(clientId);
  const config = await ctx.config(clientId, bridge);
  const verifier = oidc.randomPKCECodeVerifier();
  const merged = {
    redirect_uri: redirectUri ?? client.redirectUri,
    scope: 'openid',
    response_type: 'code',
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  let url;
  if (jar) {
    const signed = await oidc.buildAuthorizationUrlWithJAR(config, merged, client.requestKey);
    url = par ? await oidc.buildAuthorizationUrlWithPAR(config, signed.searchParams) : signed;
  } else {
    url = par ? await oidc.buildAuthorizationUrlWithPAR(config, merged, parDpop ? { DPoP: parDpop } : undefined)
      : oidc.buildAuthorizationUrl(config, merged);
  }
  const driveOpts = { rpOrigin: ctx.rp.origin, identity, refuse };
  const outcome = method === 'POST'
    ? await browser.drive(`${url.origin}${url.pathname}`, { ...driveOpts, method: 'POST', form: Object.fromEntries(url.searchParams) })
    : await browser.drive(url, driveOpts);
  return { client, config, browser, verifier, params: merged, state: merged.state, nonce: merged.nonce, url, outcome };
}

// What the RP received: a URL for a redirect, a Request for form_post.
export function callbackOf(auth) {
  const { outcome, browser } = auth;
  if (outcome.kind === 'redirect') return outcome.url;
  if (outcome.kind === 'form_post') {
    return new Request(outcome.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(outcome.fields).toString(),
    });
  }
  assert.fail(`bridge did not return to the RP; it answered ${outcome.status} on ${outcome.url}:\n` +
    `    ${browser.describeTrail()}\n    page: ${snippet(outcome.body)}`);
}

// Authorization response parameters (query, fragment, or form_post fields).
export function responseParams(auth) {
  const { outcome } = auth;
  if (outcome.kind === 'form_post') return new URLSearchParams(outcome.fields);
  if (outcome.kind === 'redirect') {
    const p = new URLSearchParams(outcome.url.search);
    for (const [k, v] of new URLSearchParams(outcome.url.hash.slice(1))) p.append(k, v);
    return p;
  }
  return new URLSearchParams();
}

// Full authorization code flow with PKCE S256; openid-client validates the
// response and the tokens. Returns the tokens and ID token claims. `dpop`:
// an openid-client DPoP handle the token request is bound to (RFC 9449).
export async function codeFlow(ctx, clientId, opts = {}) {
  const auth = await authorize(ctx, clientId, opts);
  const callback = callbackOf(auth);
  const tokens = await oidc.authorizationCodeGrant(auth.config, callback, {
    pkceCodeVerifier: auth.verifier,
    expectedState: auth.state,
    expectedNonce: auth.nonce,
    idTokenExpected: true,
    maxAge: opts.maxAge,
  }, undefined, opts.dpop ? { DPoP: opts.dpop } : undefined);
  return { ...auth, callback, tokens, claims: tokens.claims() };
}

// Expects the bridge to send the browser back with an OAuth error
// (RFC 6749 §4.1.2.1); returns the response parameters.
export function expectErrorRedirect(auth, error) {
  const { outcome, browser } = auth;
  assert.ok(outcome.kind === 'redirect' || outcome.kind === 'form_post',
    `expected an error redirect with error=${error}, got a ${outcome.status} page at ${outcome.url}:\n` +
    `    ${browser.describeTrail()}\n    page: ${snippet(outcome.body)}`);
  const p = responseParams(auth);
  assert.equal(p.get('error'), error, `error in ${outcome.url ?? outcome.action}`);
  return p;
}

export function snippet(text, max = 300) {
  const flat = String(text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

// Token endpoint request built by hand (RFC 6749 §3.2), with client
// authentication `auth`: 'basic' | 'post' | 'none', using `secret`.
export async function rawTokenRequest(config, client, form, { auth = 'basic', secret = client.secret } = {}) {
  const endpoint = config.serverMetadata().token_endpoint;
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const body = new URLSearchParams(form);
  if (auth === 'basic') {
    // RFC 6749 §2.3.1: form-urlencode id and secret before base64.
    const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${enc(client.id)}:${enc(secret)}`).toString('base64')}`;
  } else if (auth === 'post') {
    body.set('client_id', client.id);
    body.set('client_secret', secret);
  } else {
    body.set('client_id', client.id);
  }
  const res = await fetch(endpoint, { method: 'POST', headers, body });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* checked by callers */ }
  return { status: res.status, headers: res.headers, text, json };
}

export function codeOf(auth) {
  const code = responseParams(auth).get('code');
  assert.ok(code, `no code in the authorization response: ${auth.outcome.url ?? auth.outcome.action}`);
  return code;
}

export function codeExchangeForm(auth, { redirectUri, verifier } = {}) {
  return {
    grant_type: 'authorization_code',
    code: codeOf(auth),
    redirect_uri: redirectUri ?? auth.params.redirect_uri,
    code_verifier: verifier ?? auth.verifier,
  };
}

// Asserts an RFC 6749 §5.2 error response.
export function assertTokenError(res, error, status = 400) {
  assert.equal(res.status, status, `token endpoint status (body: ${snippet(res.text)})`);
  assert.ok(res.json, `token endpoint error is not JSON: ${snippet(res.text)}`);
  assert.equal(res.json.error, error, `token endpoint error (body: ${snippet(res.text)})`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(!('access_token' in res.json), 'an error response carries an access_token');
}

// UserInfo request (OIDC Core §5.3.1) by hand; `via` is 'header' (GET or
// POST with a Bearer header, RFC 6750 §2.1) or 'body' (POST form, §2.2).
export async function rawUserInfo(config, accessToken, { method = 'GET', via = 'header' } = {}) {
  const endpoint = config.serverMetadata().userinfo_endpoint;
  const init = { method, headers: { accept: 'application/json' } };
  if (via === 'header') {
    init.headers.authorization = `Bearer ${accessToken}`;
  } else {
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams({ access_token: accessToken }).toString();
  }
  const res = await fetch(endpoint, init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* checked by callers */ }
  return { status: res.status, headers: res.headers, text, json };
}

// The OAuth error an openid-client call was refused with.
export async function refusal(promise) {
  try {
    await promise;
  } catch (err) {
    // A 401 with WWW-Authenticate (RFC 6749 §5.2) arrives as openid-client's
    // challenge error; the OAuth error is then in the challenge or the body.
    if (err.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
      const inChallenge = Array.isArray(err.cause) ? err.cause[0]?.parameters?.error : undefined;
      if (inChallenge) return inChallenge;
      const body = await err.response?.json().catch(() => undefined);
      if (body?.error) return body.error;
    }
    return err.error ?? err.cause?.error ?? err.code;
  }
  assert.fail('the request was accepted');
}

export async function expectRejection(promise, message) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail(message ?? 'expected the call to fail');
}

const jwksCache = new Map();
export function remoteJwks(config) {
  const uri = config.serverMetadata().jwks_uri;
  if (!jwksCache.has(uri)) jwksCache.set(uri, jose.createRemoteJWKSet(new URL(uri)));
  return jwksCache.get(uri);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
